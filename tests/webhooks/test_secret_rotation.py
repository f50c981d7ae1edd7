"""Rotating a webhook secret: both secrets verify until the grace ends, then only the new one."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connector.cli import main
from connector.installations import InstallError, rotate_webhook_secret
from connector.models import Installation, WebhookDelivery, utcnow
from tests.conftest import fixture_body, make_installation, row_counts, signed_post
from tests.review.conftest import add_user, csrf_token_of, sign_in

BODY = fixture_body("greenhouse", "ping")  # answered 200 and stored, with no job to run
_events = iter(range(1, 10_000))


def deliver(client, installation, secret):
    """POST the ping signed with `secret`, under a new delivery id."""
    return signed_post(client, installation | {"secret": secret}, BODY,
                       event_id=f"evt-{next(_events)}")


def rotate(services, installation, grace_hours=24, now=None) -> str:
    with services.db.session() as session:
        row = session.get(Installation, installation["id"])
        secret = rotate_webhook_secret(session, services.keyring, row, grace_hours, now=now)
    services.receivers.forget("greenhouse", installation["public_id"])
    return secret


def stored_secrets(services, installation) -> tuple[str, str | None]:
    with services.db.session() as session:
        row = session.get(Installation, installation["id"])
        previous = row.previous_webhook_secret_encrypted
        return (services.keyring.decrypt(row.webhook_secret_encrypted),
                services.keyring.decrypt(previous) if previous else None)


def later(monkeypatch, hours: float) -> None:
    """Move the clock the webhook path reads forward."""
    moved = utcnow() + timedelta(hours=hours)
    monkeypatch.setattr("webhooks.receivers.utcnow", lambda: moved)


def test_both_secrets_verify_during_the_grace(client, services, installation):
    old = installation["secret"]
    assert deliver(client, installation, old).status_code == 200  # the old receiver is cached
    new = rotate(services, installation)
    assert new != old and len(new) >= 32
    assert stored_secrets(services, installation) == (new, old)
    assert deliver(client, installation, old).status_code == 200
    assert deliver(client, installation, new).status_code == 200
    with services.db.session() as session:
        assert len(session.scalars(select(WebhookDelivery)).all()) == 3


def test_after_the_grace_only_the_new_secret_verifies(client, services, installation,
                                                      monkeypatch):
    old, new = installation["secret"], rotate(services, installation, grace_hours=2)
    assert deliver(client, installation, old).status_code == 200  # cached with its grace
    later(monkeypatch, 2.01)
    counts = row_counts(services)
    refused = deliver(client, installation, old)
    assert refused.status_code == 401 and refused.get_json()["error"] == "bad_signature"
    assert row_counts(services) == counts  # nothing written
    services.receivers.forget("greenhouse", installation["public_id"])  # a fresh lookup too
    assert deliver(client, installation, old).status_code == 401
    assert row_counts(services) == counts
    assert deliver(client, installation, new).status_code == 200


def test_a_wrong_secret_is_refused_during_the_grace(client, services, installation):
    rotate(services, installation)
    counts = row_counts(services)
    assert deliver(client, installation, "not-the-secret").status_code == 401
    assert row_counts(services) == counts


def test_no_grace_stops_the_old_secret_at_once(client, services, installation):
    new = rotate(services, installation, grace_hours=0)
    assert stored_secrets(services, installation) == (new, None)
    assert deliver(client, installation, installation["secret"]).status_code == 401
    assert deliver(client, installation, new).status_code == 200


def test_rotating_again_keeps_only_the_last_two_secrets(client, services, installation):
    first = installation["secret"]
    second = rotate(services, installation)
    third = rotate(services, installation)
    assert deliver(client, installation, first).status_code == 401
    assert deliver(client, installation, second).status_code == 200
    assert deliver(client, installation, third).status_code == 200


@pytest.mark.parametrize("grace", [-1, 24 * 7 + 1, True, "24"])
def test_a_grace_out_of_range_changes_nothing(services, installation, grace):
    with services.db.session() as session:
        row = session.get(Installation, installation["id"])
        with pytest.raises(InstallError, match="grace period"):
            rotate_webhook_secret(session, services.keyring, row, grace)
    assert stored_secrets(services, installation) == (installation["secret"], None)


# The admin page


@pytest.fixture
def acme_admin(client, services, installation):
    add_user(services, "ann@acme.example", role="admin")
    sign_in(client, "ann@acme.example")
    return client


def rotate_page(client, installation, grace="24"):
    path = f"/admin/installations/{installation['public_id']}/rotate-secret"
    return client.post(path, data={"csrf_token": csrf_token_of(client, path),
                                   "grace_hours": grace})


def shown_secret(html: str) -> str:
    return re.search(r'id="secret"[^>]*value="([^"]+)"', html)[1]


def test_an_admin_rotates_the_secret_and_sees_it_once(acme_admin, services, installation):
    path = f"/admin/installations/{installation['public_id']}/rotate-secret"
    form = acme_admin.get(path)
    assert form.status_code == 200 and 'name="grace_hours"' in form.get_data(as_text=True)
    response = rotate_page(acme_admin, installation, "6")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    new = shown_secret(html)
    assert stored_secrets(services, installation) == (new, installation["secret"])
    with services.db.session() as session:
        until = session.get(Installation, installation["id"]).previous_secret_valid_until
    assert timedelta(hours=5, minutes=59) < until - utcnow() <= timedelta(hours=6)
    assert f'datetime="{until.isoformat()}"' in html and "(UTC)" in html
    # Effective at once in this process, whose receiver cache was just told.
    assert deliver(acme_admin, installation, new).status_code == 200
    assert deliver(acme_admin, installation, installation["secret"]).status_code == 200
    assert new not in acme_admin.get(path).get_data(as_text=True)  # never shown again


@pytest.mark.parametrize("grace", ["", "-1", "169", "1.5", "lots"])
def test_a_bad_grace_on_the_page_is_a_400_and_changes_nothing(acme_admin, services,
                                                             installation, grace):
    response = rotate_page(acme_admin, installation, grace)
    assert response.status_code == 400
    assert "whole number of hours" in response.get_data(as_text=True)
    assert stored_secrets(services, installation) == (installation["secret"], None)


def test_another_organizations_admin_gets_404_and_nothing_changes(client, services,
                                                                  installation):
    theirs = make_installation(services, ["Assessment"], organization="Other", name="Other GH")
    add_user(services, "oli@other.example", organization="Other", role="admin")
    sign_in(client, "oli@other.example")
    path = f"/admin/installations/{installation['public_id']}/rotate-secret"
    assert client.get(path).status_code == 404
    token = csrf_token_of(client, f"/admin/installations/{theirs['public_id']}/rotate-secret")
    counts = row_counts(services)
    response = client.post(path, data={"csrf_token": token, "grace_hours": "24"})
    assert response.status_code == 404
    assert stored_secrets(services, installation) == (installation["secret"], None)
    assert row_counts(services) == counts


def test_a_reviewer_gets_404(client, services, installation):
    add_user(services, "rob@acme.example", role="reviewer")
    sign_in(client, "rob@acme.example")
    path = f"/admin/installations/{installation['public_id']}/rotate-secret"
    assert client.get(path).status_code == 404
    token = csrf_token_of(client, "/account")
    assert client.post(path, data={"csrf_token": token, "grace_hours": "1"}).status_code == 404
    assert stored_secrets(services, installation) == (installation["secret"], None)


# The command


@pytest.fixture
def env(settings):
    return {"DATABASE_URL": settings.database_url, "SECRET_KEYS": settings.secret_keys[0],
            "PUBLIC_BASE_URL": settings.public_base_url,
            "CONNECTOR_DATA_DIR": str(settings.data_dir), "REDIS_URL": "", "SMTP_URL": ""}


def test_the_command_prints_the_new_secret_once(env, client, services, installation):
    result = CliRunner().invoke(main, ["installations", "rotate-secret",
                                       installation["public_id"], "--grace-hours", "3"], env=env)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["installation_id"] == installation["public_id"]
    assert stored_secrets(services, installation) == (printed["webhook_secret"],
                                                     installation["secret"])
    assert printed["previous_secret_valid_until"]
    assert deliver(client, installation, printed["webhook_secret"]).status_code == 200


@pytest.mark.parametrize("args", [["inst_nope"], ["{id}", "--grace-hours", "200"]])
def test_the_command_refuses_bad_input_and_changes_nothing(env, services, installation, args):
    args = [a.format(id=installation["public_id"]) for a in args]
    result = CliRunner().invoke(main, ["installations", "rotate-secret", *args], env=env)
    assert result.exit_code != 0
    assert stored_secrets(services, installation) == (installation["secret"], None)


def test_a_secret_rotated_elsewhere_without_grace_stops_working_at_once(client, services,
                                                                        installation):
    old = installation["secret"]
    assert deliver(client, installation, old).status_code == 200  # this process caches it
    with services.db.session() as session:  # another process rotates: this cache is not told
        row = session.get(Installation, installation["id"])
        new = rotate_webhook_secret(session, services.keyring, row, 0)
    counts = row_counts(services)
    refused = deliver(client, installation, old)
    assert refused.status_code == 401 and refused.get_json()["error"] == "bad_signature"
    assert row_counts(services) == counts  # nothing written
    assert deliver(client, installation, new).status_code == 200
