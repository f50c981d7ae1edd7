"""/api/v1/pushes: the outbox listed and read, and a failed or held push retried."""

from __future__ import annotations

import pytest

from connector.models import Installation, InstallationStatus, OutboxStatus, Push
from tests.api.conftest import assert_error, invite_by_hand
from tests.conftest import row_counts


def stop(services, push_id: int, status: OutboxStatus) -> None:
    """Mark a push as stopped, and its installation as needing attention (as a 404 would)."""
    with services.db.session() as db:
        push = db.get(Push, push_id)
        push.status, push.attempts, push.last_error = status, 3, "POST /v3/notes: HTTP 404 gone"
        installation = db.get(Installation, push.installation_id)
        installation.status = InstallationStatus.NEEDS_ATTENTION
        installation.attention_reason = "NotFound: gone"


@pytest.fixture
def two_pushes(acme, greenhouse) -> list[int]:
    for application in ("3001", "3002"):
        assert invite_by_hand(acme, application_id=application).status_code == 201
    return [p["id"] for p in acme.api.get("/pushes").get_json()["data"]]


def test_list_filter_and_get(services, acme, two_pushes):
    newest, oldest = two_pushes
    stop(services, oldest, OutboxStatus.FAILED)
    listed = acme.api.get("/pushes").get_json()["data"]
    assert [(p["id"], p["status"]) for p in listed] == [(newest, "delivered"), (oldest, "failed")]
    assert listed[0]["installation_id"] == acme.installation["public_id"]
    assert listed[0]["session_id"].startswith("ses_") and listed[0]["kind"] == "invited"
    failed = acme.api.get("/pushes?status=failed").get_json()["data"]
    assert [p["id"] for p in failed] == [oldest]
    one = acme.api.get(f"/pushes/{oldest}").get_json()
    assert one == listed[1]
    assert one["last_error"] == "POST /v3/notes: HTTP 404 gone" and one["attempts"] == 3


@pytest.mark.parametrize("status", [OutboxStatus.FAILED, OutboxStatus.HELD])
def test_retry_sends_a_stopped_push_and_clears_the_flag(services, acme, two_pushes, status):
    push_id = two_pushes[0]
    stop(services, push_id, status)
    response = acme.api.post(f"/pushes/{push_id}/retry")
    assert response.status_code == 200, response.get_data(as_text=True)
    retried = response.get_json()
    assert (retried["status"], retried["attempts"]) == ("delivered", 4)
    installation = acme.api.get(f"/installations/{acme.installation['public_id']}").get_json()
    assert installation["status"] == "active" and installation["attention_reason"] is None


@pytest.mark.parametrize("status", [OutboxStatus.DELIVERED, OutboxStatus.PENDING,
                                    OutboxStatus.SENDING])
def test_retry_refuses_a_push_that_has_not_stopped(services, acme, two_pushes, status):
    push_id = two_pushes[0]
    with services.db.session() as db:
        db.get(Push, push_id).status = status
    before = row_counts(services)
    assert_error(acme.api.post(f"/pushes/{push_id}/retry"), 409, "conflict")
    assert row_counts(services) == before
    assert acme.api.get(f"/pushes/{push_id}").get_json()["status"] == status.value


def test_unknown_pushes_are_a_404(acme):
    assert_error(acme.api.get("/pushes/999999"), 404, "not_found")
    assert_error(acme.api.post("/pushes/999999/retry"), 404, "not_found")
    details = assert_error(acme.api.get("/pushes?status=lost"), 422, "validation_failed")
    assert set(details["fields"]) == {"status"}
