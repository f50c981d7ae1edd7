"""ATS API clients share the process's connections: one job's call reuses the last one's."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from adapters.hosts import allow_private_addresses
from adapters.http import ApiClient, HostNotAllowed


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as an ATS's API server offers

    def do_GET(self):  # noqa: N802  (http.server's name)
        self.server.peers.append(self.client_address)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.peers = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_two_clients_in_one_process_share_one_connection(api):
    base = f"http://127.0.0.1:{api.server_port}/"
    for _ in range(3):  # three jobs, each with a client of its own
        ApiClient(base).request("GET", "v1/ping")
    assert len(api.peers) == 3
    assert len(set(api.peers)) == 1, "each call opened a connection of its own"


def test_clients_keep_no_cookies_of_one_another(api):
    first, second = ApiClient(f"http://127.0.0.1:{api.server_port}/"), ApiClient(
        f"http://127.0.0.1:{api.server_port}/")
    first.session.cookies.set("session", "installation-a")
    assert first.session.adapters["http://"] is second.session.adapters["http://"]
    assert second.session.cookies.get("session") is None


def test_a_connection_opened_while_loopback_was_allowed_is_not_reused_after(api):
    client = ApiClient(f"http://127.0.0.1:{api.server_port}/")
    client.request("GET", "v1/ping")
    allow_private_addresses(False)
    try:
        with pytest.raises(HostNotAllowed):
            ApiClient(f"http://127.0.0.1:{api.server_port}/").request("GET", "v1/ping")
    finally:
        allow_private_addresses(True)
    assert len(api.peers) == 1
