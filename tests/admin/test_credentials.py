"""Replacing an installation's API credentials: checked live, never shown, and a stale
"needs attention" ends with them; installations with credentials their ATS stopped taking are
flagged at release."""

from __future__ import annotations

from sqlalchemy import select

from connector.installations import flag_unusable_credentials
from connector.models import Installation, InstallationStatus
from tests.admin.conftest import admin_client, post_form, user_client  # noqa: F401 (fixtures)
from tests.conftest import make_installation

BASE = "http://ats.test/api"


def sandbox_installation(services, api_key: str = "old-key") -> int:
    from connector.installations import create_installation

    with services.db.session() as db:
        installation, _ = create_installation(
            db, services.keyring, ats="sandbox", organization="Acme", name="Kanban",
            trigger_stages=["screen"], template_id=None, api_base_url=BASE,
            credentials={"api_key": api_key}, strict_hosts=False)
        installation.status = InstallationStatus.NEEDS_ATTENTION
        installation.attention_reason = "Unauthorized: HTTP 401"
        return installation.id


def test_new_credentials_replace_the_old_and_end_needs_attention(app, services, admin_client):
    installation_id = sandbox_installation(services)
    admin = admin_client("Acme")
    path = f"/admin/installations/{installation_id}/credentials"
    page = admin.get(path).get_data(as_text=True)
    assert "New credentials for Kanban" in page and "old-key" not in page
    response = post_form(admin, path, {"api_key": "new-key", "api_base_url": BASE},
                         token_from="/admin/installations")
    assert response.status_code == 302
    with services.db.session() as db:
        row = db.get(Installation, installation_id)
        assert services.keyring.decrypt_json(row.credentials_encrypted) == {"api_key": "new-key"}
        assert "new-key" not in row.credentials_encrypted
        assert (row.status, row.attention_reason) == (InstallationStatus.ACTIVE, None)


def test_refused_credentials_change_nothing(app, services, admin_client, monkeypatch):
    installation_id = sandbox_installation(services)
    admin = admin_client("Acme")
    response = post_form(admin, f"/admin/installations/{installation_id}/credentials",
                         {"api_key": "", "api_base_url": BASE}, token_from="/admin/installations")
    assert response.status_code == 400 and "api_key is required" in response.get_data(as_text=True)
    with services.db.session() as db:
        row = db.get(Installation, installation_id)
        assert services.keyring.decrypt_json(row.credentials_encrypted) == {"api_key": "old-key"}
        assert row.status is InstallationStatus.NEEDS_ATTENTION


def test_another_organization_cannot_reach_the_page(app, services, admin_client):
    installation_id = sandbox_installation(services)
    other = admin_client("Globex")
    assert other.get(f"/admin/installations/{installation_id}/credentials").status_code == 404


def test_a_retired_greenhouse_api_key_is_flagged_with_what_to_enter(services):
    legacy = make_installation(services, ["Assessment"], name="Legacy")
    current = make_installation(services, ["Assessment"], name="Current")
    with services.db.session() as db:  # stored before Harvest v1/v2 were retired
        db.get(Installation, legacy["id"]).credentials_encrypted = services.keyring.encrypt_json(
            {"api_key": "harvest-v1-key", "user_id": "4080"})
    with services.db.session() as db:
        assert flag_unusable_credentials(db, services.keyring) == [legacy["public_id"]]
    with services.db.session() as db:
        rows = {r.public_id: r for r in db.scalars(select(Installation))}
        flagged = rows[legacy["public_id"]]
        assert flagged.status is InstallationStatus.NEEDS_ATTENTION
        assert "OAuth client credentials" in flagged.attention_reason
        assert rows[current["public_id"]].status is InstallationStatus.ACTIVE
    with services.db.session() as db:
        assert flag_unusable_credentials(db, services.keyring) == []  # flagged once
