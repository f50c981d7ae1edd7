"""Where an installation may send ATS API calls: never to link-local or metadata addresses,
to loopback and private ones only with ALLOW_PRIVATE_ATS_HOSTS, judged on the address each
connection resolves to, and without echoing a failing host's reply to the admin."""

from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from adapters import hosts
from adapters.http import HostNotAllowed, check_base_url
from adapters.sandbox.client import SandboxClient
from connector.installations import InstallError, create_installation
from connector.models import Installation
from tests.admin.conftest import admin_client, post_form, user_client  # noqa: F401 (fixtures)
from tests.conftest import CREDENTIALS, free_port

NEVER = ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/",
         "http://metadata.google.internal/computeMetadata/v1/", "http://[fd00:ec2::254]/",
         "http://[::ffff:169.254.169.254]/", "http://0.0.0.0:5432/"]
PRIVATE = ["http://127.0.0.1:5432/", "http://[::1]:6379/", "http://10.1.2.3/",
           "http://192.168.0.10/", "http://localhost:6379/"]


@pytest.fixture
def private_refused():
    hosts.allow_private_addresses(False)
    yield
    hosts.allow_private_addresses(True)


class Recorder:
    """A real HTTP server on loopback; `paths` lists what reached it; answers `status`/`body`."""

    def __init__(self, status: int = 200, body: str = "[]"):
        self.paths, self.status, self.body = [], status, body
        self.server = make_server("127.0.0.1", free_port(), self._app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @Request.application
    def _app(self, request: Request) -> Response:
        self.paths.append(request.path)
        return Response(self.body, status=self.status, content_type="application/json")


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.server.shutdown()


@pytest.fixture
def resolves_to_loopback(monkeypatch):
    """`ats.example.net` resolves to 127.0.0.1, as a rebinding DNS name would after a check."""
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        return real("127.0.0.1" if host == "ats.example.net" else host, *args, **kwargs)

    monkeypatch.setattr(hosts.socket, "getaddrinfo", fake)


@pytest.mark.parametrize("url", NEVER)
def test_link_local_and_metadata_addresses_are_refused_even_when_private_ones_are_allowed(url):
    with pytest.raises(HostNotAllowed) as refused:
        check_base_url(url, (), strict=False)
    assert any(word in str(refused.value) for word in
               ("link-local", "metadata", "not a unicast address"))


@pytest.mark.parametrize("url", PRIVATE)
def test_loopback_and_private_addresses_need_the_setting(url, private_refused):
    with pytest.raises(HostNotAllowed) as refused:
        check_base_url(url, (), strict=False)
    assert "ALLOW_PRIVATE_ATS_HOSTS" in str(refused.value)
    hosts.allow_private_addresses(True)
    assert check_base_url(url, (), strict=False) == url


def test_a_name_resolving_to_loopback_is_refused_when_it_connects(
        recorder, resolves_to_loopback, private_refused):
    client = SandboxClient.from_credentials({"api_key": "k"},
                                            f"http://ats.example.net:{recorder.port}/api",
                                            strict_hosts=False)
    with pytest.raises(HostNotAllowed) as refused:
        client.find_note("1", "[marker]")
    assert "ats.example.net resolves to 127.0.0.1, a loopback address" in str(refused.value)
    assert recorder.paths == []


def test_with_the_setting_the_same_name_connects_to_the_checked_address(
        recorder, resolves_to_loopback):
    client = SandboxClient.from_credentials({"api_key": "k"},
                                            f"http://ats.example.net:{recorder.port}/api",
                                            strict_hosts=False)
    assert client.find_note("1", "[marker]") is None
    assert recorder.paths == ["/api/applications/1/notes"]


def test_the_cli_and_api_install_refuse_a_loopback_base_url(services, private_refused):
    with services.db.session() as db, pytest.raises(InstallError) as refused:
        create_installation(db, services.keyring, ats="sandbox", organization="Acme",
                            name="Internal", trigger_stages=["s"], template_id=None,
                            api_base_url="http://[::1]:6379/", credentials={"api_key": "k"},
                            strict_hosts=False)
    assert "api base URL: ::1 is a loopback address" in str(refused.value)


@pytest.fixture
def admin(admin_client):  # noqa: F811
    return admin_client("Acme")


def wizard(admin, **form):
    response = post_form(admin, "/admin/installations/new/greenhouse",
                         {"name": "Acme Greenhouse", **CREDENTIALS, **form},
                         token_from="/admin/installations")
    return response.status_code, response.get_data(as_text=True).replace("&#39;", "'")


def installations(services) -> list[int]:
    with services.db.session() as db:
        return list(db.scalars(select(Installation.id)))


def test_the_wizard_names_a_host_that_resolves_to_loopback_and_calls_nothing(
        admin, services, recorder, resolves_to_loopback, private_refused):
    base = f"http://ats.example.net:{recorder.port}"
    status, html = wizard(admin, api_base_url=base, token_url=f"{base}/token")
    assert status == 400
    assert ("Greenhouse cannot be called at that address: ats.example.net resolves to "
            "127.0.0.1, a loopback address") in html
    assert recorder.paths == [] and installations(services) == []


def test_the_wizard_never_shows_what_a_failing_host_answered(admin, services, recorder):
    recorder.status, recorder.body = 418, '{"secret": "redis_version:7.2.4 role:master"}'
    base = f"http://127.0.0.1:{recorder.port}"
    status, html = wizard(admin, api_base_url=base, token_url=f"{base}/token")
    assert status == 400 and recorder.paths == ["/token"]
    assert "Greenhouse refused the call (418): POST token: HTTP 418." in html
    assert "redis_version" not in html and installations(services) == []
