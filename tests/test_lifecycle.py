"""After the invitation: one reminder, expiry at the deadline, and an admin's corrections."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from connector import lifecycle, notes
from connector.models import (
    Answer,
    AnswerChunk,
    AnswerStatus,
    OutboxStatus,
    InterviewState,
    utcnow,
)
from jobs.emails import send_email
from jobs.sweeper import sweep
from tests.conftest import row_counts
from tests.lifecycle_support import (
    BASE_URL,
    add_answer,
    change,
    emails,
    interview_of,
    invite,
    link_in,
    pushes,
    rows,
    tick,
)

HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)


def test_the_reminder_goes_out_once_24_hours_before_the_deadline(client, services,
                                                                 installation, greenhouse):
    invited = invite(client, services, installation)
    deadline = invited.deadline
    tick(services, deadline - 24 * HOUR - SECOND)
    assert emails(services, "reminder") == []

    tick(services, deadline - 24 * HOUR)
    (reminder,) = emails(services, "reminder")
    assert reminder.dedupe_key == f"reminder:{invited.public_id}:{deadline.isoformat()}"
    assert reminder.to_address == "giuseppe.hurley@example.com"
    assert reminder.subject == "Reminder: your video interview with Acme for Designer"
    iso = deadline.isoformat(timespec="minutes")
    for part in (reminder.text_body, reminder.html_body):
        assert invited.link in part  # the same personal link as the invitation
        assert "Acme" in part and "Designer" in part and "Giuseppe Hurley" in part
        assert iso in part and f"{deadline:%A} {deadline.day} " in part and "(UTC)" in part
    assert reminder.status is OutboxStatus.HELD  # sent by its job (held: no SMTP_URL)
    assert interview_of(services, invited.public_id).reminded_at == deadline - 24 * HOUR

    tick(services, deadline - HOUR)
    assert len(emails(services, "reminder")) == 1


@pytest.mark.parametrize("values", [
    {"state": InterviewState.COMPLETED},
    {"state": InterviewState.CANCELLED},
    {"state": InterviewState.EXPIRED},
    {"reminder_hours": 0},
], ids=["completed", "cancelled", "expired", "no-reminder-hours"])
def test_no_reminder_for_a_closed_session_or_without_reminder_hours(client, services,
                                                                    installation, greenhouse,
                                                                    values):
    invited = invite(client, services, installation)
    change(services, invited.public_id, **values)
    tick(services, invited.deadline - HOUR)
    assert emails(services, "reminder") == []
    assert interview_of(services, invited.public_id).reminded_at is None


def test_an_extension_earns_a_new_reminder_before_the_new_deadline(client, services,
                                                                   installation, greenhouse):
    invited = invite(client, services, installation)
    deadline = invited.deadline
    tick(services, deadline - 24 * HOUR)
    with services.db.session() as session:
        interview = lifecycle.find(session, invited.public_id)
        timers = lifecycle.extend(session, interview, 48, now=deadline - 23 * HOUR)
    new_deadline = deadline + 48 * HOUR
    assert (timers.deadline_at, timers.reminder_at) == (new_deadline, new_deadline - 24 * HOUR)
    assert interview_of(services, invited.public_id).reminded_at is None

    tick(services, new_deadline - 24 * HOUR - SECOND)
    assert len(emails(services, "reminder")) == 1
    tick(services, new_deadline - 24 * HOUR)
    first, second = emails(services, "reminder")
    assert second.dedupe_key == f"reminder:{invited.public_id}:{new_deadline.isoformat()}"
    assert new_deadline.isoformat(timespec="minutes") in second.text_body
    assert link_in(second.text_body) == invited.link


def test_a_short_extension_after_the_reminder_sends_no_second_one(client, services,
                                                                  installation, greenhouse):
    invited = invite(client, services, installation)
    tick(services, invited.deadline - 24 * HOUR)
    with services.db.session() as session:
        interview = lifecycle.find(session, invited.public_id)
        timers = lifecycle.extend(session, interview, 2, now=invited.deadline - HOUR)
    assert timers.reminder_at is None
    tick(services, invited.deadline + HOUR)
    assert len(emails(services, "reminder")) == 1


def test_the_deadline_expires_the_session_and_notes_greenhouse_once(client, services,
                                                                    installation, greenhouse):
    invited = invite(client, services, installation)
    add_answer(services, invited.public_id, 0)  # the practice answer never counts
    add_answer(services, invited.public_id, 1, key=f"{invited.public_id}/q1.webm")
    add_answer(services, invited.public_id, 2, status=AnswerStatus.RECORDING)
    tick(services, invited.deadline - SECOND)
    assert interview_of(services, invited.public_id).state is InterviewState.INVITED

    tick(services, invited.deadline)
    assert interview_of(services, invited.public_id).state is InterviewState.EXPIRED
    (push,) = pushes(services, "expired")
    assert push.dedupe_key == f"expired:{invited.public_id}:{invited.deadline.isoformat()}"
    assert push.status is OutboxStatus.DELIVERED
    invited_note, expired_note = greenhouse.notes
    assert expired_note["candidate_id"] == 265772
    body = expired_note["body"]
    assert body.startswith("The async video interview for ")
    assert notes.deadline_in_words(invited.deadline, ZoneInfo("UTC")) in body
    assert "\n1 of 3 answers had been recorded.\n" in body
    assert body.endswith(notes.reference(invited.public_id, "expired", notes.stamp(
        invited.deadline)))

    tick(services, invited.deadline + HOUR)
    assert len(greenhouse.notes) == 2 and len(pushes(services, "expired")) == 1


def test_the_sweeper_sends_due_reminders_and_expires_sessions(client, services, installation,
                                                              greenhouse):
    soon = invite(client, services, installation, "evt-1")
    change(services, soon.public_id, deadline_at=utcnow() + HOUR)
    assert sweep()["reminders"] == 1
    assert len(emails(services, "reminder")) == 1

    change(services, soon.public_id, deadline_at=utcnow() - SECOND)
    counts = sweep()
    assert (counts["reminders"], counts["expired"]) == (0, 1)
    assert interview_of(services, soon.public_id).state is InterviewState.EXPIRED
    assert "expired" in greenhouse.notes[-1]["body"]
    assert sweep()["expired"] == 0


def test_a_new_session_schedules_its_reminder_and_expiry(client, services, installation,
                                                         greenhouse, monkeypatch):
    timed = []
    monkeypatch.setattr(services.queue, "enqueue_in",
                        lambda seconds, path, *args: timed.append((path, seconds)))
    invite(client, services, installation)
    (reminder, reminder_in), (expiry, expiry_in) = timed
    assert (reminder, expiry) == ("jobs.lifecycle.send_due_reminders",
                                  "jobs.lifecycle.expire_due_sessions")
    assert 0 <= reminder_in - 48 * 3600 < 62 and 0 <= expiry_in - 72 * 3600 < 62


def test_an_expired_link_answers_410_until_an_extension_reopens_it(client, services,
                                                                   installation, greenhouse):
    invited = invite(client, services, installation)
    change(services, invited.public_id, deadline_at=utcnow() - SECOND)
    sweep()
    assert interview_of(services, invited.public_id).state is InterviewState.EXPIRED
    assert client.get(invited.path).status_code == 410

    with services.db.session() as session:
        lifecycle.extend(session, lifecycle.find(session, invited.public_id), 24)
    interview = interview_of(services, invited.public_id)
    assert interview.state is InterviewState.INVITED
    assert 23.9 < (interview.deadline_at - utcnow()).total_seconds() / 3600 <= 24
    assert client.get(invited.path).status_code == 200


def test_an_extension_reopens_a_consented_session_as_started(client, services, installation,
                                                             greenhouse):
    invited = invite(client, services, installation)
    change(services, invited.public_id, consented_at=utcnow(), state=InterviewState.STARTED)
    tick(services, invited.deadline)
    with services.db.session() as session:
        lifecycle.extend(session, lifecycle.find(session, invited.public_id), 5,
                         now=invited.deadline + 10 * HOUR)
    interview = interview_of(services, invited.public_id)
    assert interview.state is InterviewState.STARTED
    assert interview.deadline_at == invited.deadline + 15 * HOUR


def test_resend_sends_the_same_link_again(client, services, installation, greenhouse):
    invited = invite(client, services, installation)
    for number in (1, 2):
        with services.db.session() as session:
            email = lifecycle.resend(session, lifecycle.find(session, invited.public_id),
                                     BASE_URL, services.keyring)
        assert email.dedupe_key == f"invitation:{invited.public_id}:resend:{number}"
        send_email(email.id)  # held, whole, for the mailbox: the stored row has no link before
    first, *again = emails(services, "invitation")
    assert len(again) == 2
    for email in again:
        assert link_in(email.text_body) == invited.link and invited.link in email.html_body
        assert (email.subject, email.text_body) == (first.subject, first.text_body)


@pytest.mark.parametrize("values, message", [
    ({"state": InterviewState.CANCELLED}, "is cancelled"),
    ({"state": InterviewState.COMPLETED}, "is completed"),
    ({"state": InterviewState.EXPIRED}, "extend it first"),
], ids=["cancelled", "completed", "expired"])
def test_resend_refuses_a_closed_session_and_writes_nothing(client, services, installation,
                                                            greenhouse, values, message):
    invited = invite(client, services, installation)
    change(services, invited.public_id, **values)
    before = row_counts(services)
    with pytest.raises(lifecycle.LifecycleError, match=message):
        with services.db.session() as session:
            lifecycle.resend(session, lifecycle.find(session, invited.public_id),
                             BASE_URL, services.keyring)
    assert row_counts(services) == before


def test_reset_answer_removes_the_answer_and_its_file_and_reopens(client, services,
                                                                  installation, greenhouse):
    invited = invite(client, services, installation)
    key = f"{invited.public_id}/q2.webm"
    add_answer(services, invited.public_id, 1, key=f"{invited.public_id}/q1.webm")
    answer_id = add_answer(services, invited.public_id, 2, key=key)
    change(services, invited.public_id, state=InterviewState.COMPLETED, completed_at=utcnow(),
           consented_at=utcnow())
    assert services.storage.exists(key)

    with services.db.session() as session:
        keys = lifecycle.reset_answer(session, lifecycle.find(session, invited.public_id), 2,
                                      services.storage)
    assert keys[0] == key and not services.storage.exists(key)  # then its chunks, if any
    assert [a.position for a in rows(services, Answer)] == [1]
    assert rows(services, AnswerChunk, answer_id=answer_id) == []
    assert services.storage.exists(f"{invited.public_id}/q1.webm")
    interview = interview_of(services, invited.public_id)
    assert (interview.state, interview.completed_at) == (InterviewState.STARTED, None)


@pytest.mark.parametrize("position, values, message", [
    (0, {}, "question 0 is the practice question"),
    (7, {}, r"has no question 7 \(its questions are 1, 2, 3\)"),
    (3, {}, "question 3 of session .* has no answer to reset"),
    (2, {"state": InterviewState.CANCELLED}, "is cancelled"),
    (2, {"state": InterviewState.EXPIRED}, "extend it first"),
], ids=["practice", "unknown", "unanswered", "cancelled", "expired"])
def test_reset_answer_refuses_bad_input_and_writes_nothing(client, services, installation,
                                                           greenhouse, position, values,
                                                           message):
    invited = invite(client, services, installation)
    key = f"{invited.public_id}/q2.webm"
    add_answer(services, invited.public_id, 0)
    add_answer(services, invited.public_id, 2, key=key)
    change(services, invited.public_id, **values)
    before = row_counts(services)
    with pytest.raises(lifecycle.LifecycleError, match=message):
        with services.db.session() as session:
            lifecycle.reset_answer(session, lifecycle.find(session, invited.public_id),
                                   position, services.storage)
    assert row_counts(services) == before and services.storage.exists(key)


@pytest.mark.parametrize("hours, message", [
    (0, "hours must be a whole number from 1 to 8760"),
    (-3, "hours must be a whole number"),
    (9000, "hours must be a whole number"),
])
def test_extend_refuses_bad_hours(client, services, installation, greenhouse, hours, message):
    invited = invite(client, services, installation)
    with pytest.raises(lifecycle.LifecycleError, match=message):
        with services.db.session() as session:
            lifecycle.extend(session, lifecycle.find(session, invited.public_id), hours)
    assert interview_of(services, invited.public_id).deadline_at == invited.deadline


def test_an_unknown_session_is_refused(services):
    with pytest.raises(lifecycle.LifecycleError, match="no interview session 'ses_nope'"):
        with services.db.session() as session:
            lifecycle.find(session, "ses_nope")


def test_the_completed_note_names_the_candidate_and_the_time(client, services, installation,
                                                             greenhouse):
    invited = invite(client, services, installation)
    done_at = invited.deadline - 30 * HOUR
    change(services, invited.public_id, state=InterviewState.COMPLETED, completed_at=done_at)
    with services.db.session() as session:
        interview = lifecycle.find(session, invited.public_id)
        push = notes.completed(interview.installation, interview)
    text = push.payload["text"]
    assert text.startswith("Giuseppe Hurley completed the async video interview for ")
    assert f" on {notes.deadline_in_words(done_at, ZoneInfo('UTC'))}.\n" in text
    marker = notes.reference(invited.public_id, "completed", done_at.isoformat())
    assert push.payload["marker"] == marker and text.endswith(marker)
    assert push.dedupe_key == f"completed:{invited.public_id}:{done_at.isoformat()}"


def test_extending_a_completed_session_moves_only_its_deadline(client, services, installation,
                                                               greenhouse):
    invited = invite(client, services, installation)
    change(services, invited.public_id, state=InterviewState.COMPLETED, completed_at=utcnow())
    with services.db.session() as session:
        timers = lifecycle.extend(session, lifecycle.find(session, invited.public_id), 10)
    assert timers == type(timers)(None, invited.deadline + 10 * HOUR)
    assert interview_of(services, invited.public_id).state is InterviewState.COMPLETED
