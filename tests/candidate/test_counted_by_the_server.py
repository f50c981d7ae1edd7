"""What the browser cannot decide for itself: retakes are counted by the server, an answer's
length is bounded by the question and the clock, and one link cannot flood the service."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from connector.candidate.recording import FREE_RESTARTS
from connector.models import Answer, Push
from tests.candidate.conftest import WEBM, csrf_token


def answer_at(services, position) -> Answer:
    with services.db.session() as session:
        return session.scalar(select(Answer).where(Answer.position == position))


def test_takes_begun_again_without_stopping_use_the_retakes_after_one_free_restart(candidate,
                                                                                   services):
    take = candidate.start(1).get_json()["take"]
    candidate.chunk(1, take, 0, WEBM)
    restarted = candidate.start(1).get_json()  # an interruption: the first restart is free
    assert (restarted["take"], restarted["retakes_used"], restarted["free_restart"]) == (
        take + 1, 0, False)
    candidate.chunk(1, take + 1, 0, WEBM)
    again = candidate.start(1).get_json()  # no stop again: now it is a retake (the one allowed)
    assert (again["take"], again["retakes_used"]) == (take + 2, 1)
    candidate.chunk(1, take + 2, 0, WEBM)
    refused = candidate.start(1)
    assert refused.status_code == 409 and refused.get_json()["error"] == "no_retakes_left"
    answer = answer_at(services, 1)
    assert (answer.take, answer.retakes_used, answer.restarts_used) == (take + 2, 1, FREE_RESTARTS)


def test_a_stopped_take_recorded_again_uses_a_retake(candidate, services):
    take = candidate.start(1).get_json()["take"]
    candidate.chunk(1, take, 0, WEBM)
    candidate.post(f"/answers/1/takes/{take}/stop")
    assert candidate.start(1).get_json()["retakes_used"] == 1
    assert answer_at(services, 1).restarts_used == 0


def submit_reporting(candidate, services, duration_ms, began_seconds_ago=5):
    take = candidate.start(1).get_json()["take"]
    with services.db.session() as session:
        answer = session.scalar(select(Answer).where(Answer.position == 1))
        answer.take_started_at -= timedelta(seconds=began_seconds_ago)
    candidate.chunk(1, take, 0, WEBM)
    response = candidate.post(f"/answers/1/takes/{take}/submit", {
        "chunks": 1, "size": len(WEBM), "duration_ms": duration_ms,
        "sha256": __import__("hashlib").sha256(WEBM).hexdigest()})
    assert response.status_code == 200
    return answer_at(services, 1).duration_ms


def test_a_negative_length_is_unknown(candidate, services):
    assert submit_reporting(candidate, services, -5) is None


def test_a_length_past_the_answer_time_is_cut_to_it(candidate, services):
    assert submit_reporting(candidate, services, 999_999_999, began_seconds_ago=600) == 120_000


def test_a_length_past_the_time_since_the_take_began_is_cut_to_that(candidate, services):
    duration = submit_reporting(candidate, services, 100_000, began_seconds_ago=5)
    assert 5_000 <= duration < 15_000


def test_a_plausible_length_is_kept(candidate, services):
    assert submit_reporting(candidate, services, 4_000, began_seconds_ago=6) == 4_000


def test_one_link_flooding_the_room_api_gets_a_clear_429(candidate):
    answers = [candidate.client.get(candidate.base + "/state", headers=candidate.headers())
               for _ in range(125)]
    statuses = [r.status_code for r in answers]
    assert statuses[:120] == [200] * 120
    refused = answers[-1]
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0


def test_accommodation_requests_are_limited_per_link_and_the_refusal_writes_nothing(
        client, candidate, services):
    def ask(number):
        csrf = csrf_token(client, f"/interview/{candidate.token}")
        return client.post(f"/interview/{candidate.token}/accommodation",
                           data={"request": f"More time, please ({number})", "csrf_token": csrf})

    assert [ask(n).status_code for n in range(3)] == [303, 303, 303]
    with services.db.session() as session:
        before = session.scalar(select(func.count()).select_from(Push))
    refused = ask(4)
    assert refused.status_code == 429
    assert re.search(r"paused it briefly", refused.get_data(as_text=True))
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Push)) == before
