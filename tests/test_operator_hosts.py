"""ATS_ALLOWED_HOSTS: in production the generic (Standard Webhooks) adapter may call the ATS
hosts the operator lists by name, and only those; the admin is told when a base URL is not one."""

from __future__ import annotations

from dataclasses import replace

import pytest
import responses
from sqlalchemy import func, select

from adapters.events import Outcome
from adapters.http import HostNotAllowed, check_base_url
from config import load_settings
from connector.installations import InstallError, adapter_for, create_installation
from connector.models import Installation
from jobs.writeback import write
from tests.admin.conftest import admin_client, post_form, user_client  # noqa: F401 (fixtures)

LISTED = "https://ats.example.com/api"


def test_the_setting_is_read_as_host_names_and_a_bad_entry_is_named(tmp_path):
    env = {"CONNECTOR_DATA_DIR": str(tmp_path), "ATS_ALLOWED_HOSTS": " ATS.example.com, x.io "}
    assert load_settings(env).ats_allowed_hosts == ("ats.example.com", "x.io")
    with pytest.raises(Exception, match="ATS_ALLOWED_HOSTS: host names separated by commas"):
        load_settings({**env, "ATS_ALLOWED_HOSTS": "https://ats.example.com/"})


def test_a_listed_host_is_allowed_by_name_and_nothing_beside_it():
    assert check_base_url(LISTED, (), True, ("ats.example.com",)) == LISTED
    for url in ("https://evil.ats.example.com/", "https://ats.example.com.evil.io/",
                "http://ats.example.com/", "https://ats.example.com:8443/"):
        with pytest.raises(HostNotAllowed):
            check_base_url(url, (), True, ("ats.example.com",))


def install(services, extra_hosts: tuple[str, ...]):
    with services.db.session() as db:
        installation, _ = create_installation(
            db, services.keyring, ats="sandbox", organization="Acme", name="Kanban",
            trigger_stages=["screen"], template_id=None, api_base_url=LISTED,
            credentials={"api_key": "k"}, strict_hosts=True, extra_hosts=extra_hosts)
        return installation.id


def test_production_refuses_an_unlisted_host_naming_the_setting_and_writes_nothing(services):
    with pytest.raises(InstallError, match="ATS_ALLOWED_HOSTS \\(none yet\\)"):
        install(services, ())
    with services.db.session() as db:
        assert db.scalar(select(func.count()).select_from(Installation)) == 0


def test_the_generic_adapter_works_in_production_within_the_listed_hosts(services):
    settings = replace(services.settings, env="production",
                       ats_allowed_hosts=("ats.example.com",))
    installation_id = install(services, settings.ats_allowed_hosts)
    note = Outcome("invited", "app-1", "cand-1", "Invited. Ref: IV-1", "IV-1")
    with services.db.session() as db:
        adapter = adapter_for(db.get(Installation, installation_id), services.keyring, settings)
    with responses.RequestsMock() as mock:
        mock.post(f"{LISTED}/applications/app-1/notes", json={"id": 5}, status=201)
        assert write(adapter, note, first_attempt=True) == "5"
    elsewhere = replace(settings, ats_allowed_hosts=("other.example.com",))
    with services.db.session() as db:
        adapter = adapter_for(db.get(Installation, installation_id), services.keyring, elsewhere)
    with responses.RequestsMock(), pytest.raises(HostNotAllowed):
        write(adapter, note, first_attempt=True)  # the host was taken off the list: no call


def test_the_wizard_says_which_hosts_production_may_call(app, services, admin_client):
    services.settings = replace(services.settings, env="production",
                                ats_allowed_hosts=("ats.example.com",))
    admin = admin_client("Acme")
    page = admin.get("/admin/installations/new/sandbox").get_data(as_text=True)
    assert "ats.example.com" in page and "ATS_ALLOWED_HOSTS" in page
    response = post_form(admin, "/admin/installations/new/sandbox",
                         {"name": "Kanban", "api_key": "k",
                          "api_base_url": "https://kanban.example.org/api"},
                         token_from="/admin/installations")
    assert response.status_code == 400
    assert "ATS_ALLOWED_HOSTS (ats.example.com)" in response.get_data(as_text=True)
    with services.db.session() as db:
        assert db.scalar(select(func.count()).select_from(Installation)) == 0
