"""The chunk protocol: idempotent by index, capped, checked, and final only on a verified submit."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from connector.models import Answer, AnswerChunk, AnswerStatus, Interview, utcnow
from tests.candidate.conftest import WEBM, Candidate, edit_plan
from tests.conftest import row_counts

PARTS = [WEBM, b"second-part" * 100, b"third-part" * 100]


def answer_at(services, position):
    with services.db.session() as session:
        return session.scalar(select(Answer).where(Answer.position == position))


def stored_bytes(services, key) -> bytes:
    return b"".join(services.storage.read(key))


def test_chunks_out_of_order_make_one_answer_in_index_order(candidate, services):
    take = candidate.start(1).get_json()["take"]
    for index in (2, 0, 1):
        assert candidate.chunk(1, take, index, PARTS[index]).status_code == 201
    response = candidate.submit(1, take, PARTS)
    assert response.status_code == 200 and response.get_json()["status"] == "submitted"
    answer = answer_at(services, 1)
    whole = b"".join(PARTS)
    assert (answer.status, answer.size_bytes, answer.container) == (
        AnswerStatus.SUBMITTED, len(whole), "webm")
    assert answer.sha256 == hashlib.sha256(whole).hexdigest()
    assert stored_bytes(services, answer.storage_key) == whole
    assert "giuseppe" not in answer.storage_key.lower()  # keys are ours, never a client's name


def test_a_repeated_chunk_is_a_no_op_and_other_bytes_are_refused(candidate, services):
    take = candidate.start(1).get_json()["take"]
    assert candidate.chunk(1, take, 0, WEBM).status_code == 201
    again = candidate.chunk(1, take, 0, WEBM)
    assert again.status_code == 200 and again.get_json()["stored"] is False
    conflict = candidate.chunk(1, take, 0, WEBM + b"changed")
    assert conflict.status_code == 409 and conflict.get_json()["error"] == "chunk_conflict"
    assert candidate.state()["questions"][0]["received"] == [0]


def test_a_submit_with_a_missing_chunk_names_it(candidate, services):
    take = candidate.start(1).get_json()["take"]
    candidate.chunk(1, take, 0, PARTS[0])
    candidate.chunk(1, take, 2, PARTS[2])
    response = candidate.submit(1, take, PARTS)
    assert response.status_code == 409
    assert response.get_json() == {"error": "missing_chunks", "detail": "", "missing": [1]}
    assert answer_at(services, 1).status is AnswerStatus.RECORDING


def test_an_answer_longer_than_its_limit_is_refused(candidate, services):
    def one_second(plan):
        plan[1]["answer_seconds"] = 1  # 1 s allows 1 MB plus 2 MiB of slack
    edit_plan(services, one_second)
    take = candidate.start(1).get_json()["take"]
    assert candidate.chunk(1, take, 0, WEBM + b"x" * 2_000_000).status_code == 201
    before = row_counts(services)
    response = candidate.chunk(1, take, 1, b"y" * 2_000_000)
    assert response.status_code == 413 and response.get_json()["error"] == "answer_too_large"
    assert row_counts(services) == before
    assert candidate.state()["questions"][0]["received"] == [0]


def test_a_chunk_over_the_chunk_cap_is_refused_before_it_is_read(candidate, services):
    take = candidate.start(1).get_json()["take"]
    before = row_counts(services)
    response = candidate.chunk(1, take, 0, WEBM + b"z" * (8 * 1024 * 1024))
    assert response.status_code == 413
    assert row_counts(services) == before


def test_a_first_chunk_that_is_not_webm_or_mp4_is_refused(candidate, services):
    take = candidate.start(1).get_json()["take"]
    before = row_counts(services)
    response = candidate.chunk(1, take, 0, b"RIFF\x00\x00\x00\x00WAVEfmt " + b"0" * 100)
    assert response.status_code == 415 and response.get_json()["error"] == "unsupported_container"
    assert row_counts(services) == before
    assert list((services.settings.data_dir / "recordings").rglob("chunk-*")) == []


def test_mp4_is_accepted_when_the_take_says_mp4(candidate, services):
    mp4 = b"\x00\x00\x00\x20ftypisom" + b"\x00" * 100
    take = candidate.start(1, mime="video/mp4").get_json()["take"]
    assert candidate.chunk(1, take, 0, mp4).status_code == 201
    assert candidate.submit(1, take, [mp4]).status_code == 200
    assert answer_at(services, 1).storage_key.endswith(".mp4")


def test_an_unsupported_media_type_cannot_start_a_take(candidate, services):
    response = candidate.start(1, mime="video/x-matroska")
    assert response.status_code == 415


def test_a_wrong_checksum_keeps_the_answer_open_and_asks_for_the_chunks_again(candidate,
                                                                              services):
    take = candidate.start(1).get_json()["take"]
    for index, data in enumerate(PARTS):
        candidate.chunk(1, take, index, data)
    response = candidate.submit(1, take, PARTS, sha256="0" * 64)
    assert response.status_code == 422 and response.get_json()["error"] == "checksum_mismatch"
    answer = answer_at(services, 1)
    assert answer.status is AnswerStatus.RECORDING and answer.storage_key is None
    assert candidate.state()["questions"][0]["received"] == []
    for index, data in enumerate(PARTS):  # the browser sends them again from IndexedDB
        assert candidate.chunk(1, take, index, data).status_code == 201
    assert candidate.submit(1, take, PARTS).status_code == 200


def test_nothing_can_be_written_to_a_submitted_answer(candidate, services):
    assert candidate.record(1, PARTS).status_code == 200
    answer = answer_at(services, 1)
    before = row_counts(services)
    late = candidate.chunk(1, answer.take, 3, b"late")
    assert late.status_code == 409 and late.get_json()["error"] == "answer_submitted"
    assert candidate.start(1).get_json()["error"] == "answer_submitted"
    assert row_counts(services) == before
    assert stored_bytes(services, answer.storage_key) == b"".join(PARTS)
    # The same submit again (its first answer lost on the way) is accepted, not redone.
    assert candidate.submit(1, answer.take, PARTS).status_code == 200


def test_nothing_can_be_written_to_an_expired_session(candidate, services):
    take = candidate.start(1).get_json()["take"]
    with services.db.session() as session:
        session.scalars(select(Interview)).one().deadline_at = utcnow() - timedelta(1)
    before = row_counts(services)
    response = candidate.chunk(1, take, 0, WEBM)
    assert response.status_code == 410 and response.get_json()["error"] == "session_closed"
    assert row_counts(services) == before


def test_a_second_tab_cannot_write_the_same_answer(client, candidate, services):
    take = candidate.start(1).get_json()["take"]
    other = Candidate(client, candidate.token)
    assert other.post("/answers/1/claim").get_json()["error"] == "in_use_elsewhere"
    assert other.chunk(1, take, 0, WEBM).status_code == 409
    assert candidate.chunk(1, take, 0, WEBM).status_code == 201
    # Once the first tab has been silent past the lease, another may take over.
    with services.db.session() as session:
        session.scalar(select(Answer)).writer_seen_at = utcnow() - timedelta(seconds=31)
    assert other.post("/answers/1/claim").status_code == 200
    assert candidate.chunk(1, take, 1, b"more").get_json()["error"] == "in_use_elsewhere"


def test_retakes_are_counted_and_capped(candidate, services):
    take = candidate.start(1).get_json()["take"]
    candidate.chunk(1, take, 0, WEBM)
    candidate.post(f"/answers/1/takes/{take}/stop")
    second = candidate.start(1).get_json()
    assert (second["take"], second["retakes_used"]) == (2, 1)
    candidate.chunk(1, 2, 0, WEBM)
    candidate.post("/answers/1/takes/2/stop")
    refused = candidate.start(1)
    assert refused.status_code == 409 and refused.get_json()["error"] == "no_retakes_left"


def test_an_interrupted_take_can_be_recorded_again_without_using_a_retake(candidate, services):
    take = candidate.start(1).get_json()["take"]
    candidate.chunk(1, take, 0, WEBM)  # then the tab crashed: no stop
    again = candidate.start(1).get_json()
    assert (again["take"], again["retakes_used"], again["received"]) == (2, 0, [])
    old = candidate.chunk(1, take, 1, b"from the old take")
    assert old.status_code == 409 and old.get_json() == {
        "error": "stale_take", "detail": "", "current_take": 2}


def test_an_accommodation_extends_times_and_retakes(candidate, services):
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        interview.time_factor, interview.extra_retakes = 1.5, 2
    question = candidate.state()["questions"][0]
    assert (question["prep_seconds"], question["answer_seconds"], question["retakes"]) == (
        45, 180, 3)


def test_the_practice_question_is_never_stored(candidate, services):
    response = candidate.post("/answers/0/claim")
    assert response.status_code == 409 and response.get_json()["error"] == "practice_not_stored"
    with services.db.session() as session:
        assert session.scalars(select(AnswerChunk)).all() == []


def test_the_api_needs_consent_first(client, invited, services):
    early = Candidate(client, invited)
    before = row_counts(services)
    response = early.start(1)
    assert response.status_code == 409 and response.get_json()["error"] == "consent_required"
    assert row_counts(services) == before


def test_a_request_without_the_csrf_token_is_refused(candidate, services):
    before = row_counts(services)
    response = candidate.client.post(f"{candidate.base}/answers/1/takes",
                                     json={"mime_type": "video/webm"},
                                     headers={"X-Writer": candidate.writer})
    assert response.status_code == 400
    assert row_counts(services) == before
