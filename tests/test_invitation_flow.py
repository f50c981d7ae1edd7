"""A Greenhouse stage move becomes one session, one invitation e-mail and one note, exactly once."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from connector import notes
from connector.models import (
    DeliveryStatus,
    Email,
    Installation,
    InstallationStatus,
    Interview,
    OutboxStatus,
    Push,
    InterviewState,
    WebhookDelivery,
    utcnow,
)
from tests.conftest import edit_fixture, fixture_body, make_installation, signed_post
from tests.fakes.greenhouse import USER_ID

STAGE_CHANGE = fixture_body("greenhouse", "candidate_stage_change")


def all_rows(services, model):
    with services.db.session() as session:
        return session.scalars(select(model).order_by(model.id)).all()


def link_in(email: Email) -> str:
    return re.search(r"https://connector\.test/interview/[A-Za-z0-9_-]+", email.text_body)[0]


def moved(stage_id: int, stage_name: str, at: str):
    def change(data):
        application = data["payload"]["application"]
        application["current_stage"].update(id=stage_id, name=stage_name)
        application["last_activity_at"] = at
    return edit_fixture("greenhouse", "candidate_stage_change", change)


def test_stage_move_invites_the_candidate(client, services, installation, greenhouse):
    started = utcnow()
    response = signed_post(client, installation, STAGE_CHANGE)
    assert response.status_code == 200 and response.get_json()["status"] == "accepted"

    (interview,) = all_rows(services, Interview)
    assert interview.state is InterviewState.INVITED
    assert (interview.ats_application_id, interview.ats_candidate_id) == ("265277", "265772")
    assert (interview.candidate_name, interview.candidate_email, interview.job_title) == (
        "Giuseppe Hurley", "giuseppe.hurley@example.com", "Designer")
    hours = (interview.deadline_at - started).total_seconds() / 3600
    assert 71.9 < hours < 72.1  # the built-in template's 72 h window

    (email,) = all_rows(services, Email)
    assert email.to_address == "giuseppe.hurley@example.com"
    assert email.subject == "Your video interview with Acme for Designer"
    iso = interview.deadline_at.isoformat(timespec="minutes")
    for part in (email.text_body, email.html_body):
        assert "Acme" in part and "Designer" in part and "Giuseppe Hurley" in part
        assert iso in part  # ISO 8601 with its zone (+00:00 for an organization in UTC)
        assert f"{interview.deadline_at:%A} {interview.deadline_at.day} " in part
        assert "(UTC)" in part
    assert link_in(email) in email.html_body
    assert email.status is OutboxStatus.HELD  # no SMTP_URL: held for the mailbox

    (delivery,) = all_rows(services, WebhookDelivery)
    assert (delivery.status, delivery.outcome) == (DeliveryStatus.PROCESSED, "invited")


def test_the_invitation_link_opens_the_landing_page(client, services, installation, greenhouse):
    signed_post(client, installation, STAGE_CHANGE)
    (email,) = all_rows(services, Email)
    page = client.get(link_in(email).removeprefix("https://connector.test"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Welcome, Giuseppe Hurley" in html and "Designer" in html and "Acme" in html
    assert "3</strong> questions" in html and "practice question" in html
    assert "30 seconds to prepare, up to 2 minutes to answer" in html
    (interview,) = all_rows(services, Interview)
    assert interview.deadline_at.isoformat(timespec="minutes") in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_an_unknown_or_cancelled_link_is_not_an_interview(client, services, installation, greenhouse):
    assert client.get("/interview/not-a-real-token").status_code == 404
    signed_post(client, installation, STAGE_CHANGE)
    (email,) = all_rows(services, Email)
    signed_post(client, installation, fixture_body("greenhouse", "reject_candidate"), "evt-2")
    path = link_in(email).removeprefix("https://connector.test")
    assert client.get(path).status_code == 200  # a different application was rejected
    rejected = edit_fixture("greenhouse", "reject_candidate",
                            lambda d: d["payload"]["application"].update(id=265277))
    signed_post(client, installation, rejected, "evt-3")
    (interview,) = all_rows(services, Interview)
    assert interview.state is InterviewState.CANCELLED
    page = client.get(path)
    assert page.status_code == 410 and "no longer open" in page.get_data(as_text=True)


def test_the_note_is_written_on_the_candidate_in_greenhouse(client, services, installation,
                                                             greenhouse):
    signed_post(client, installation, STAGE_CHANGE)
    (interview,) = all_rows(services, Interview)
    (note,) = greenhouse.notes
    assert note["candidate_id"] == 265772
    assert note["visibility"] == "admin_only"
    assert "The invitation went to giuseppe.hurley@example.com" in note["body"]
    assert notes.deadline_in_words(interview.deadline_at, ZoneInfo("UTC")) in note["body"]
    assert note["body"].endswith("\n" + notes.reference(interview.public_id, "invited"))
    token_call = next(c for c in greenhouse.calls if c["kind"] == "token")
    assert token_call["form"] == {"grant_type": "client_credentials", "sub": USER_ID}
    (push,) = all_rows(services, Push)
    assert (push.status, push.external_id, push.attempts) == (OutboxStatus.DELIVERED, "1000", 1)


def test_a_duplicate_delivery_changes_nothing(client, services, installation, greenhouse):
    signed_post(client, installation, STAGE_CHANGE, "evt-1")
    again = signed_post(client, installation, STAGE_CHANGE, "evt-1")
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    assert len(all_rows(services, WebhookDelivery)) == 1
    assert len(all_rows(services, Interview)) == 1
    assert len(all_rows(services, Email)) == 1
    assert len(greenhouse.notes) == 1


def test_a_redelivery_under_a_new_id_creates_nothing_new(client, services, installation,
                                                          greenhouse):
    signed_post(client, installation, STAGE_CHANGE, "evt-1")
    signed_post(client, installation, STAGE_CHANGE, "evt-2")
    deliveries = all_rows(services, WebhookDelivery)
    assert [d.outcome for d in deliveries] == ["invited", "duplicate_session"]
    assert len(all_rows(services, Interview)) == 1
    assert len(all_rows(services, Email)) == 1
    assert len(greenhouse.notes) == 1


def test_the_same_move_reported_twice_invites_once(client, services, installation, greenhouse):
    # Greenhouse may report one move twice, with a later last_activity_at the second time.
    signed_post(client, installation, moved(71416, "Assessment", "2026-11-20T10:00:00Z"), "a")
    signed_post(client, installation, moved(71416, "Assessment", "2026-11-20T10:00:07Z"), "b")
    assert len(all_rows(services, Interview)) == 1
    assert len(all_rows(services, Email)) == 1
    assert len(greenhouse.notes) == 1


def test_moving_out_and_back_in_is_a_new_entry(client, services, installation, greenhouse):
    signed_post(client, installation, moved(71416, "Assessment", "2026-11-20T10:00:00Z"), "a")
    signed_post(client, installation, moved(71417, "Phone screen", "2026-11-20T11:00:00Z"), "b")
    signed_post(client, installation, moved(71416, "Assessment", "2026-11-21T09:00:00Z"), "c")
    entries = [s.stage_entry for s in all_rows(services, Interview)]
    assert entries == ["71416#1", "71416#3"]
    assert len(greenhouse.notes) == 2


def test_a_late_older_move_is_ignored(client, services, installation, greenhouse):
    signed_post(client, installation, moved(71417, "Phone screen", "2026-11-20T11:00:00Z"), "b")
    late = signed_post(client, installation, moved(71416, "Assessment", "2026-11-20T10:00:00Z"), "a")
    assert late.status_code == 200
    assert [d.outcome for d in all_rows(services, WebhookDelivery)] == [
        "stage_not_mapped", "stale_event"]
    assert all_rows(services, Interview) == []


def test_an_unmapped_stage_is_stored_and_nothing_else_happens(client, services, installation,
                                                              greenhouse):
    body = moved(9999, "Offer", "2026-11-20T10:00:00Z")
    response = signed_post(client, installation, body)
    assert response.status_code == 200
    (delivery,) = all_rows(services, WebhookDelivery)
    assert (delivery.status, delivery.outcome) == (DeliveryStatus.IGNORED, "stage_not_mapped")
    assert json.loads(delivery.body) == json.loads(body)
    assert all_rows(services, Interview) == []
    assert all_rows(services, Email) == []
    assert all_rows(services, Push) == []
    assert greenhouse.calls == []


def test_rules_match_by_stage_id(client, services, greenhouse):
    inst = make_installation(services, trigger_stages=["71416"])
    signed_post(client, inst, STAGE_CHANGE)
    assert len(all_rows(services, Interview)) == 1


def test_rules_match_by_name_ignoring_case_and_spaces(client, services, greenhouse):
    inst = make_installation(services, trigger_stages=["Async Screen"])
    signed_post(client, inst, fixture_body("greenhouse", "candidate_stage_change__unicode"))
    (interview,) = all_rows(services, Interview)
    assert (interview.candidate_name, interview.job_title) == (
        "Zoë Łukasiewicz-Nguyễn", "Ingénieure logiciel – Plateforme")
    (email,) = all_rows(services, Email)
    assert "Zoë Łukasiewicz-Nguyễn" in email.text_body


def test_a_candidate_without_email_gets_a_note_instead(client, services, installation,
                                                       greenhouse):
    signed_post(client, installation, fixture_body("greenhouse", "candidate_stage_change__no_email"))
    assert all_rows(services, Interview) == []
    assert all_rows(services, Email) == []
    (note,) = greenhouse.notes
    assert note["candidate_id"] == 265772
    assert "no e-mail address" in note["body"]
    (delivery,) = all_rows(services, WebhookDelivery)
    assert delivery.outcome == "no_email"


def test_greenhouse_refusing_the_credentials_flags_the_installation(client, services,
                                                                    greenhouse):
    inst = make_installation(services, ["Assessment"],
                             credentials={"client_id": "client-123", "client_secret": "wrong",
                                          "user_id": USER_ID})
    signed_post(client, inst, STAGE_CHANGE)
    (push,) = all_rows(services, Push)
    assert push.status is OutboxStatus.FAILED and "401" in push.last_error
    (installation,) = all_rows(services, Installation)
    assert installation.status is InstallationStatus.NEEDS_ATTENTION
    assert "Unauthorized" in installation.attention_reason
    assert len(all_rows(services, Email)) == 1  # the candidate is invited all the same


def test_a_rate_limited_note_waits_for_retry_after(client, services, installation, greenhouse):
    greenhouse.fail_next(429, {"Retry-After": "120"})
    signed_post(client, installation, STAGE_CHANGE)
    (push,) = all_rows(services, Push)
    assert push.status is OutboxStatus.PENDING and push.attempts == 1
    assert push.next_attempt_at - utcnow() > timedelta(seconds=110)
    assert greenhouse.notes == []


def test_a_retry_finds_the_note_an_earlier_attempt_wrote(client, services, installation,
                                                         greenhouse):
    from jobs.pushes import deliver_push

    signed_post(client, installation, STAGE_CHANGE)
    (push,) = all_rows(services, Push)
    # As if the first attempt had written the note but crashed before recording it.
    with services.db.session() as session:
        row = session.get(Push, push.id)
        row.status, row.next_attempt_at = OutboxStatus.PENDING, utcnow()
    deliver_push(push.id)
    assert len(greenhouse.notes) == 1
    assert [c["kind"] for c in greenhouse.calls].count("list_notes") == 1
    (push,) = all_rows(services, Push)
    assert (push.status, push.attempts) == (OutboxStatus.DELIVERED, 2)


def test_a_greenhouse_outage_is_retried_later(client, services, installation, greenhouse):
    greenhouse.fail_next(503)
    signed_post(client, installation, STAGE_CHANGE)
    (push,) = all_rows(services, Push)
    assert push.status is OutboxStatus.PENDING and "503" in push.last_error
    assert isinstance(push.next_attempt_at, datetime)
