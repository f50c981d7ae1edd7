"""An answer begun before the deadline may be finished and sent after it, within its grace:
the question's answer time plus UPLOAD_GRACE. Nothing new may begin after the deadline."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from connector import lifecycle, notes, plan
from connector.models import Answer, AnswerStatus, Email, Interview, InterviewState, utcnow
from connector.plan import UPLOAD_GRACE
from tests.candidate.conftest import WEBM

ANSWER_SECONDS = 120  # the built-in template's questions


def move_deadline(services, deadline, take_started=None) -> None:
    """Put the deadline (and when question 1's take began) where the test needs them."""
    with services.db.session() as session:
        session.scalars(select(Interview)).one().deadline_at = deadline
        if take_started is not None:
            answer = session.scalar(select(Answer).where(Answer.position == 1))
            answer.take_started_at = take_started


def test_a_take_begun_a_minute_before_the_deadline_is_finished_and_submitted(candidate, services):
    take = candidate.start(1).get_json()["take"]
    now = utcnow()
    move_deadline(services, now - timedelta(seconds=30), take_started=now - timedelta(seconds=90))
    assert candidate.chunk(1, take, 0, WEBM).status_code == 201
    assert candidate.post(f"/answers/1/takes/{take}/stop").status_code == 200
    response = candidate.submit(1, take, [WEBM])
    assert response.status_code == 200 and response.get_json()["status"] == "submitted"


def test_nothing_new_begins_after_the_deadline(candidate, services):
    take = candidate.start(1).get_json()["take"]
    now = utcnow()
    move_deadline(services, now - timedelta(seconds=30), take_started=now - timedelta(seconds=90))
    refused = candidate.start(2)
    assert refused.status_code == 410 and refused.get_json()["error"] == "session_closed"
    with services.db.session() as session:  # no answer row was made for the refused question
        assert session.scalar(select(Answer).where(Answer.position == 2)) is None
    retake = candidate.start(1)  # a new take of the begun question is something new too
    assert retake.status_code == 410
    assert candidate.chunk(1, take, 0, WEBM).status_code == 201  # the begun take goes on


def test_the_grace_ends_after_the_answer_time_and_the_upload_allowance(candidate, services):
    take = candidate.start(1).get_json()["take"]
    now = utcnow()
    began = now - timedelta(seconds=ANSWER_SECONDS) - UPLOAD_GRACE - timedelta(seconds=1)
    move_deadline(services, began + timedelta(seconds=10), take_started=began)
    refused = candidate.chunk(1, take, 0, WEBM)
    assert refused.status_code == 410 and refused.get_json()["error"] == "session_closed"


def test_a_take_begun_after_the_deadline_has_no_grace(candidate, services):
    take = candidate.start(1).get_json()["take"]
    now = utcnow()
    move_deadline(services, now - timedelta(seconds=60), take_started=now - timedelta(seconds=30))
    assert candidate.chunk(1, take, 0, WEBM).status_code == 410


def test_the_interview_can_finish_after_the_last_answer_submitted_in_grace(candidate, services):
    for position in (1, 2):
        assert candidate.record(position, [WEBM]).status_code == 200
    take = candidate.start(3).get_json()["take"]
    now = utcnow()
    with services.db.session() as session:
        session.scalars(select(Interview)).one().deadline_at = now - timedelta(seconds=5)
        answer = session.scalar(select(Answer).where(Answer.position == 3))
        answer.take_started_at = now - timedelta(seconds=20)
    assert candidate.chunk(3, take, 0, WEBM).status_code == 201
    assert candidate.submit(3, take, [WEBM]).status_code == 200
    assert candidate.post("/finish").status_code == 200
    with services.db.session() as session:
        assert session.scalars(select(Interview)).one().state is InterviewState.COMPLETED


def test_expiry_waits_for_an_answer_in_grace_then_closes(candidate, services):
    candidate.start(1)
    now = utcnow()
    began = now - timedelta(seconds=60)
    move_deadline(services, now - timedelta(seconds=30), take_started=began)
    with services.db.session() as session:
        assert lifecycle.expire_due(session, now=now) == []
        assert session.scalars(select(Interview)).one().state is InterviewState.STARTED
    after = began + timedelta(seconds=ANSWER_SECONDS) + UPLOAD_GRACE
    with services.db.session() as session:
        assert len(lifecycle.expire_due(session, now=after)) == 1
        interview = session.scalars(select(Interview)).one()
        assert interview.state is InterviewState.EXPIRED
        assert session.scalar(select(Answer)).status is AnswerStatus.RECORDING


def test_the_room_still_opens_in_grace_and_the_landing_says_the_last_time_to_start(
        client, candidate, services):
    landing = client.get(f"/interview/{candidate.token}").get_data(as_text=True)
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        minutes = plan.minutes_needed(interview)
        start_by = notes.deadline_in_words(
            interview.deadline_at - timedelta(minutes=minutes), ZoneInfo("UTC"))
    assert minutes == 4 * (30 + 120) // 60 + plan.SETUP_MINUTES  # practice and 3 questions
    assert f"Allow about {minutes} minutes: start by <strong>{start_by}</strong>" in landing
    assert "An answer you begin before the deadline can still be finished" in landing
    candidate.start(1)
    now = utcnow()
    move_deadline(services, now - timedelta(seconds=30), take_started=now - timedelta(seconds=60))
    assert client.get(f"/interview/{candidate.token}/room").status_code == 200


def test_the_invitation_says_how_long_it_takes_and_the_last_time_to_start(invited, services):
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        start_by = notes.deadline_in_words(
            interview.deadline_at - timedelta(minutes=plan.minutes_needed(interview)),
            ZoneInfo("UTC"))
        email = session.scalars(select(Email)).one()
    for body in (email.text_body, email.html_body):
        assert f"It takes about 15 minutes: start by {start_by} at the latest." in body
