"""The board: its columns and cards, a move by form, the webhook job a move enqueues and sends."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
import responses
from sqlalchemy import select

from adapters.events import EventKind
from connector.models import (
    Email, Interview, OutboxStatus, Push, SandboxCard, WebhookDelivery,
)
from jobs.sandbox import send_webhook
from tests.conftest import row_counts
from tests.sandbox.conftest import move, verified_post


def card(services, card_id) -> SandboxCard:
    with services.db.session() as db:
        return db.get(SandboxCard, card_id)


def test_the_board_shows_five_columns_and_the_seeded_cards(client, seeded):
    html = client.get("/sandbox").get_data(as_text=True)
    headings = re.findall(r'<h2 id="column-[a-z_]+">([^<]+?) <span', html)
    assert headings == ["Applied", "Async screen", "Interview", "Offer", "Rejected"]
    for name in ("Ada Okafor", "Ben Castillo", "Chloé Martin", "Farah Haddad"):
        assert name in html
    assert "ada.okafor@example.com" in html and 'draggable="true"' in html
    assert html.count('<select id="move-') == 6  # a keyboard control on every card


def test_before_seeding_the_board_says_how_to_set_it_up(client):
    response = client.get("/sandbox")
    assert response.status_code == 404
    assert "connector sandbox seed" in response.get_data(as_text=True)


def test_moving_a_card_updates_its_column_and_enqueues_the_webhook(client, services, seeded,
                                                                  recorded_jobs):
    ada = seeded["cards"]["Ada"]
    response = move(client, ada, "async_screen")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#card-{ada}")
    assert card(services, ada).column == "async_screen"
    ((path, args),) = recorded_jobs
    assert path == "jobs.sandbox.send_webhook"
    assert args[:2] == (ada, "async_screen") and args[2].startswith("msg_")


def test_moving_a_card_to_its_own_column_sends_nothing(client, services, seeded, recorded_jobs):
    assert move(client, seeded["cards"]["Ada"], "applied").status_code == 303
    assert recorded_jobs == []


@pytest.mark.parametrize("column", ["", "hired", "Async screen"])
def test_an_unknown_column_is_refused_and_changes_nothing(client, services, seeded,
                                                          recorded_jobs, column):
    before = row_counts(services)
    response = move(client, seeded["cards"]["Ada"], column)
    assert response.status_code == 400
    assert card(services, seeded["cards"]["Ada"]).column == "applied"
    assert row_counts(services) == before and recorded_jobs == []


def test_a_move_without_the_form_token_is_refused(client, services, seeded, recorded_jobs):
    response = client.post(f"/sandbox/cards/{seeded['cards']['Ada']}/move",
                           data={"column": "async_screen"})
    assert response.status_code == 400
    assert card(services, seeded["cards"]["Ada"]).column == "applied" and recorded_jobs == []


def test_an_unknown_card_is_not_found(client, seeded, recorded_jobs):
    assert move(client, 999_999, "offer").status_code == 404
    assert client.get("/sandbox/cards/999999").status_code == 404


def test_the_job_signs_and_posts_what_the_adapter_verifies(client, services, seeded,
                                                           recorded_jobs):
    ada = seeded["cards"]["Ada"]
    move(client, ada, "async_screen")
    ((_, args),) = recorded_jobs
    body, headers, adapter = verified_post(seeded, send_webhook, args)
    assert adapter.delivery_id(body, headers) == args[2]
    action, event = adapter.read(body, headers)
    assert action == "application.stage_changed"
    assert (event.kind, event.application_id, event.stage_id, event.stage_name) == (
        EventKind.STAGE_CHANGED, "app-1001", "async_screen", "Async screen")
    assert (event.candidate.full_name, event.candidate.email, event.job_title) == (
        "Ada Okafor", "ada.okafor@example.com", "Backend engineer")
    assert event.application_url == f"https://connector.test/sandbox/cards/{ada}"


def test_moving_into_rejected_sends_application_closed(client, services, seeded, recorded_jobs):
    move(client, seeded["cards"]["Ben"], "rejected")
    ((_, args),) = recorded_jobs
    with responses.RequestsMock() as mock:
        mock.post(re.compile(r"https://connector\.test/webhooks/sandbox/.*"), json={})
        send_webhook(*args)
        body = mock.calls[0].request.body
    sent = json.loads(body)
    assert sent["type"] == "application.closed"
    assert sent["data"]["stage"] == {"id": "rejected", "name": "Rejected"}


def test_a_failed_delivery_is_retried_later_with_the_same_id(client, services, seeded,
                                                            recorded_jobs, monkeypatch):
    later = []
    monkeypatch.setattr(services.queue, "enqueue_in", lambda s, path, *a: later.append((s, a)))
    move(client, seeded["cards"]["Ada"], "async_screen")
    ((_, args),) = recorded_jobs
    with responses.RequestsMock() as mock:
        mock.post(re.compile(r"https://connector\.test/.*"), status=503)
        send_webhook(*args)
    ((delay, retry),) = later
    assert delay == 5 and retry == (*args, 2)


def test_a_move_reaches_the_connector_and_invites_the_candidate(client, services, seeded,
                                                                recorded_jobs, routed):
    """The whole loop in one process: board, signed webhook, session, e-mail, note on the card."""
    ada = seeded["cards"]["Ada"]
    move(client, ada, "async_screen")
    ((_, args),) = recorded_jobs
    send_webhook(*args)
    send_webhook(*args)  # a retry of the same message is one delivery
    with services.db.session() as db:
        (delivery,) = db.scalars(select(WebhookDelivery)).all()
        interview = db.scalars(select(Interview)).one()
        email = db.scalars(select(Email)).one()
        push = db.scalars(select(Push)).one()
        assert delivery.delivery_key == args[2]
        assert (interview.candidate_email, interview.job_title) == (
            "ada.okafor@example.com", "Backend engineer")
        assert email.status is OutboxStatus.HELD  # no SMTP_URL
        assert push.status is OutboxStatus.DELIVERED, push.last_error
    page = client.get(f"/sandbox/cards/{ada}").get_data(as_text=True)
    assert ('The invitation went to <a href="mailto:ada.okafor@example.com">'
            in page)  # plain text, with its links (and addresses) made clickable


def test_the_board_is_not_found_when_the_sandbox_is_off(client, services, seeded, monkeypatch):
    monkeypatch.setattr(services, "settings", replace(services.settings, sandbox=False))
    for path in ("/sandbox", f"/sandbox/cards/{seeded['cards']['Ada']}", "/sandbox/mailbox"):
        assert client.get(path).status_code == 404
    response = client.post("/sandbox/api/applications/app-1001/notes", json={"body": "x"},
                           headers={"Authorization": f"Bearer {seeded['api_key']}"})
    assert response.status_code == 404
