"""Replaying a stored delivery from the admin pages: as if it had just arrived, never acting
twice, refused where nothing can run or without the form's CSRF token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from connector.models import DeliveryStatus, Email, Interview, Push, WebhookDelivery, utcnow
from tests.admin.conftest import post_form
from tests.admin.ops_rows import (
    STAGE_CHANGE, add_delivery, client_for, count, get, html, html_of,
)
from tests.conftest import signed_post


def test_replaying_a_processed_stage_change_invites_no_one_twice(
        admin_client, services, installation, greenhouse):
    signed_post(client_for(services), installation, STAGE_CHANGE)
    with services.db.session() as db:
        delivery = db.scalar(select(WebhookDelivery))
    assert (delivery.status, delivery.outcome) == (DeliveryStatus.PROCESSED, "invited")
    before = {m: count(services, m) for m in (Interview, Email, Push)}
    assert before == {Interview: 1, Email: 1, Push: 1}
    admin = admin_client("Acme")

    response = post_form(admin, f"/admin/deliveries/{delivery.id}/replay",
                         token_from=f"/admin/deliveries/{delivery.id}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/deliveries/{delivery.id}"
    replayed = get(services, WebhookDelivery, delivery.id)
    assert replayed.status is DeliveryStatus.IGNORED and replayed.attempts == 1
    assert replayed.outcome in ("stale_event", "duplicate_session")
    assert replayed.processed_at > delivery.processed_at
    assert {m: count(services, m) for m in (Interview, Email, Push)} == before
    assert "was queued again" in html(admin.get(response.headers["Location"]))


def test_replaying_a_failed_delivery_runs_the_job_like_a_fresh_one(
        admin_client, services, installation, greenhouse):
    # As the webhook view stored it, without a parse: its job failed before keeping one.
    failed = add_delivery(services, installation, "evt-9", status=DeliveryStatus.FAILED,
                          body=STAGE_CHANGE.decode(), outcome="error", attempts=10)
    assert count(services, Interview) == 0
    admin = admin_client("Acme")
    assert f'action="/admin/deliveries/{failed}/replay"' in html(
        admin.get(f"/admin/deliveries/{failed}"))

    response = post_form(admin, f"/admin/deliveries/{failed}/replay")
    assert response.status_code == 303
    row = get(services, WebhookDelivery, failed)
    assert (row.status, row.outcome, row.attempts) == (DeliveryStatus.PROCESSED, "invited", 1)
    assert (count(services, Interview), count(services, Email)) == (1, 1)
    assert [n["kind"] for n in greenhouse.calls if n["kind"] != "token"]  # the note went out


@pytest.mark.parametrize("case", ["not_actionable", "erased", "processing"])
def test_a_replay_that_cannot_run_is_refused_and_changes_nothing(
        admin_client, services, installation, case):
    if case == "not_actionable":
        delivery = add_delivery(services, installation, "ping", status=DeliveryStatus.IGNORED,
                                outcome="not_actionable")
    elif case == "erased":  # its body went with the candidate's data; nothing is left to read
        delivery = add_delivery(services, installation, "gone", outcome="erased")
        with services.db.session() as db:
            db.get(WebhookDelivery, delivery).body = ""
    else:
        delivery = add_delivery(services, installation, "busy", status=DeliveryStatus.PROCESSING,
                                event={"kind": "stage_changed"}, attempts=1,
                                lease_until=utcnow() + timedelta(minutes=5))
    before = get(services, WebhookDelivery, delivery)
    admin = admin_client("Acme")
    page = html(admin.get(f"/admin/deliveries/{delivery}"))
    assert ("nothing to replay" in page) is (case != "processing")
    response = post_form(admin, f"/admin/deliveries/{delivery}/replay")
    assert response.status_code == 409
    assert "is not an event" in html_of(response) or "being processed now" in html_of(response)
    after = get(services, WebhookDelivery, delivery)
    assert (after.status, after.attempts, after.outcome) == (
        before.status, before.attempts, before.outcome)


def test_a_replay_without_the_csrf_token_is_refused(admin_client, services, installation):
    delivery = add_delivery(services, installation, "e1", status=DeliveryStatus.FAILED,
                            event={"kind": "stage_changed"})
    response = admin_client("Acme").post(f"/admin/deliveries/{delivery}/replay")
    assert response.status_code == 400
    assert get(services, WebhookDelivery, delivery).status is DeliveryStatus.FAILED


def test_an_unknown_delivery_is_404(admin_client, installation):
    client = admin_client("Acme")
    assert client.get("/admin/deliveries/999").status_code == 404
    assert client.get("/admin/deliveries/abc").status_code == 404
    assert post_form(client, "/admin/deliveries/999/replay").status_code == 404
