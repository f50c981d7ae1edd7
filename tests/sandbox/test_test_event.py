"""The install wizard's *Send a test event* for the sandbox installation: a signed
application.stage_changed goes to its own webhook URL, is verified, stored and processed, and
writes nothing back to the board."""

from __future__ import annotations

import re

from sqlalchemy import select

from connector.models import SandboxCard, SandboxNote, WebhookDelivery
from connector.sandbox.seed import ADMIN_EMAIL
from tests.admin.conftest import csrf_token


def signed_in(app, password: str):
    client = app.test_client()
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code in (302, 303)
    return client


def board_state(services) -> list[tuple]:
    with services.db.session() as db:
        return [(c.id, c.column, c.fields) for c in db.scalars(select(SandboxCard)
                                                            .order_by(SandboxCard.id))]


def test_the_sandbox_installations_test_event_arrives_and_writes_nothing(
        app, services, seeded, routed):
    admin = signed_in(app, seeded["admin_password"])
    base = f"/admin/installations/{seeded['id']}"
    settings_page = admin.get(base).get_data(as_text=True)
    assert f'action="{base}/test-event"' in settings_page
    cards_before = board_state(services)

    response = admin.post(f"{base}/test-event", data={"csrf_token": csrf_token(admin, base),
                                                      "return_to": "settings"})
    assert response.status_code == 302
    token = re.search(r"token=([0-9a-f]{32})", response.headers["Location"])[1]
    status = admin.get(f"{base}/test-event/{token}").get_json()

    assert status["state"] == "arrived", status
    with services.db.session() as db:
        delivery = db.scalars(select(WebhookDelivery)).one()
        assert delivery.installation_id == seeded["id"]
        assert delivery.action == "application.stage_changed"
        assert delivery.status.value == "ignored" and delivery.outcome == "stage_not_mapped"
        assert db.scalars(select(SandboxNote)).all() == []
    assert status["delivery"]["id"] == delivery.id
    assert board_state(services) == cards_before
    # One call went out: the signed event to the webhook URL; none to the board's API.
    assert [(c.request.method, c.request.url.split("/")[3]) for c in routed.calls] == \
        [("POST", "webhooks")]
