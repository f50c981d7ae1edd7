"""Deleting a candidate from the board: the card goes and candidate.deleted erases the interview."""

from __future__ import annotations

import json

from sqlalchemy import select

from adapters.events import EventKind
from connector.models import ErasureReceipt, Interview, SandboxCard, WebhookDelivery
from jobs.sandbox import send_deletion, send_webhook
from tests.conftest import row_counts
from tests.sandbox.conftest import csrf_of, move, verified_post


def delete(client, card_id: int, **data):
    form = {"csrf_token": csrf_of(client, f"/sandbox/cards/{card_id}"), **data}
    return client.post(f"/sandbox/cards/{card_id}/delete", data=form)


def cards(services) -> set[str]:
    with services.db.session() as db:
        return {card.first_name for card in db.scalars(select(SandboxCard))}


def test_deleting_removes_the_card_and_enqueues_candidate_deleted(client, services, seeded,
                                                                 recorded_jobs):
    response = delete(client, seeded["cards"]["Ada"], confirm="yes")
    assert response.status_code == 303 and response.headers["Location"] == "/sandbox"
    assert "Ada" not in cards(services)
    ((path, args),) = recorded_jobs
    assert path == "jobs.sandbox.send_deletion" and args[:2] == (seeded["id"], "cand-2001")
    body, headers, adapter = verified_post(seeded, send_deletion, args)
    assert adapter.delivery_id(body, headers) == args[2]
    assert json.loads(body)["data"] == {"candidate": {"id": "cand-2001"},
                                        "occurred_at": args[3]}
    _action, event = adapter.read(body, headers)
    assert (event.kind, event.candidate.ats_id) == (EventKind.CANDIDATE_ERASED, "cand-2001")


def test_a_deletion_without_the_tick_deletes_nothing(client, services, seeded, recorded_jobs):
    before = row_counts(services)
    response = delete(client, seeded["cards"]["Ada"])
    assert response.status_code == 303
    assert "Tick the box" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert row_counts(services) == before and recorded_jobs == []


def test_a_deletion_without_the_form_token_is_refused(client, services, seeded, recorded_jobs):
    before = row_counts(services)
    response = client.post(f"/sandbox/cards/{seeded['cards']['Ada']}/delete",
                           data={"confirm": "yes"})
    assert response.status_code == 400
    assert row_counts(services) == before and recorded_jobs == []


def test_deleting_a_card_twice_is_not_found_the_second_time(client, seeded, recorded_jobs):
    token = csrf_of(client)
    path = f"/sandbox/cards/{seeded['cards']['Ada']}/delete"
    assert client.post(path, data={"csrf_token": token, "confirm": "yes"}).status_code == 303
    assert client.post(path, data={"csrf_token": token, "confirm": "yes"}).status_code == 404
    assert len(recorded_jobs) == 1


def test_a_deleted_candidates_interview_is_erased(client, services, seeded, recorded_jobs,
                                                  routed):
    """Board, signed candidate.deleted, erasure: the interview row keeps no personal data."""
    ada = seeded["cards"]["Ada"]
    move(client, ada, "async_screen")
    send_webhook(*recorded_jobs.pop()[1])
    delete(client, ada, confirm="yes")
    send_deletion(*recorded_jobs.pop()[1])
    with services.db.session() as db:
        interview = db.scalars(select(Interview)).one()
        deletion = db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()[-1]
        assert interview.erased_at is not None
        assert "ada" not in (interview.candidate_email or "").lower()
        assert deletion.outcome.startswith("erased: ")
        assert db.scalars(select(ErasureReceipt)).one().public_id in deletion.outcome
