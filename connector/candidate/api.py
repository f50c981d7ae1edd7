"""JSON for the interview room: the state to resume from, takes, chunks, submits, finish.

Every call carries the tab's writer id (X-Writer) and the page's CSRF token; the personal
link's token in the URL says whose interview it is.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, abort, current_app, jsonify, request, url_for

from connector import plan, tasks
from connector.auth import limiter
from connector.candidate import recording
from connector.candidate.limits import LINK_LIMIT, link_key
from connector.review import results
from connector.candidate.views import find_interview
from connector.models import Answer, AnswerStatus, Interview, InterviewState, utcnow

SPOOL_IN_MEMORY = 1024 * 1024
SPOOL_BLOCK = 64 * 1024

bp = Blueprint("candidate_api", __name__, url_prefix="/interview/<token>/api")


per_link = limiter.limit(LINK_LIMIT, key_func=link_key)


@bp.errorhandler(recording.AnswerError)
def answer_error(exc: recording.AnswerError):
    return jsonify(error=exc.reason, detail=exc.detail, **exc.extra), exc.status


@bp.errorhandler(429)
def too_many(_exc):
    return jsonify(error="rate_limited",
                   detail="too many requests for this interview; try again in a moment"), 429


@bp.get("/state")
@per_link
def state(token: str):
    """Where the candidate is: each question's status, current take and the chunks we hold."""
    with _db() as session:
        interview = _interview(session, token)
        return jsonify(_state(session, interview))


@bp.post("/answers/<int:position>/claim")
@per_link
def claim(token: str, position: int):
    """This tab takes the question (or keeps it: a heartbeat); another tab's claim is refused."""
    with _db() as session:
        interview = _interview(session, token)
        answer = recording.claim(session, interview, position, _writer())
        return jsonify(_answer_state(session, interview, answer))


@bp.post("/answers/<int:position>/takes")
@per_link
def start(token: str, position: int):
    body = _json()
    with _db() as session:
        interview = _interview(session, token)
        answer = recording.start_take(session, _storage(), interview, position, _writer(),
                                      body.get("mime_type"))
        return jsonify(_answer_state(session, interview, answer)), 201


@bp.put("/answers/<int:position>/takes/<int:take>/chunks/<int:index>")
def chunk(token: str, position: int, take: int, index: int):
    """One MediaRecorder chunk, streamed to storage; repeating it is harmless."""
    if (request.content_length or 0) > recording.MAX_CHUNK_BYTES:
        raise recording.AnswerError(413, "chunk_too_large")
    with _spooled_body() as body, _db() as session:
        interview = _interview(session, token)
        stored = recording.accept_chunk(session, _storage(), interview, position, take, index,
                                        _writer(), body)
    return jsonify(index=index, stored=stored), 201 if stored else 200


@bp.post("/answers/<int:position>/takes/<int:take>/stop")
@per_link
def stop(token: str, position: int, take: int):
    with _db() as session:
        interview = _interview(session, token)
        answer = recording.finish_take(session, interview, position, take, _writer())
        return jsonify(_answer_state(session, interview, answer))


@bp.post("/answers/<int:position>/takes/<int:take>/submit")
@per_link
def submit(token: str, position: int, take: int):
    """Make the take final: the chunk count, total size and SHA-256 must all match."""
    body = _json()
    try:
        chunks, size = int(body["chunks"]), int(body["size"])
        sha256 = str(body["sha256"])
        duration_ms = int(body["duration_ms"]) if body.get("duration_ms") is not None else None
    except (KeyError, TypeError, ValueError):
        raise recording.AnswerError(400, "bad_submit", "chunks, size and sha256 are required")
    with _db() as session:
        interview = _interview(session, token)
        answer = recording.submit(session, _storage(), interview, position, take, _writer(),
                                  chunks=chunks, size=size, sha256=sha256,
                                  duration_ms=duration_ms)
        state, answer_id = _answer_state(session, interview, answer), answer.id
    current_app.extensions["connector"].queue.enqueue(tasks.PREPARE_PLAYBACK, answer_id)
    return jsonify(state)


@bp.post("/answers/<int:position>/text")
@per_link
def text(token: str, position: int):
    """A written answer; the same text sent again (its first reply lost) gets the same reply."""
    written, writer = str(_json().get("text") or ""), _writer()
    with _db() as session:
        interview = _interview(session, token)
        answer = next((a for a in interview.answers if a.position == position), None)
        if answer is None or answer.status is not AnswerStatus.SUBMITTED \
                or answer.text != written.strip():
            answer = recording.submit_text(session, interview, position, writer, written)
        return jsonify(_answer_state(session, interview, answer))


@bp.post("/finish")
@per_link
def finish(token: str):
    """Every question answered: the interview is complete and the ATS hears of it."""
    services = current_app.extensions["connector"]
    with _db() as session:
        interview = _interview(session, token)
        push_id = recording.complete(
            session, interview, lambda: results.completion_links(session, services, interview))
    if push_id:
        services.queue.enqueue(tasks.DELIVER_PUSH, push_id)
    return jsonify(done_url=url_for("candidate.done", token=token))


def _state(session, interview: Interview) -> dict:
    answers = {a.position: a for a in interview.answers}
    questions = []
    for item in interview.plan:
        if item["is_practice"]:
            continue
        answer = answers.get(item["position"])
        questions.append(_answer_state(session, interview, answer, item))
    current = next((q["position"] for q in questions if q["status"] != "submitted"), None)
    return {"state": interview.state.value, "questions": questions, "current": current,
            "deadline": interview.deadline_at.isoformat()}


def _answer_state(session, interview: Interview, answer: Answer | None,
                  item: dict | None = None) -> dict:
    item = item or recording.question(interview, answer.position)
    limits = plan.limits(interview, item)
    return {
        "position": item["position"], "prompt": item["prompt"], "kind": item["kind"],
        "prep_seconds": limits.prep_seconds, "answer_seconds": limits.answer_seconds,
        "retakes": limits.retakes, "max_characters": limits.max_characters,
        "status": answer.status.value if answer else "new",
        "take": answer.take if answer else 0,
        "take_finished": bool(answer and answer.take_finished),
        "retakes_used": answer.retakes_used if answer else 0,
        "free_restart": not answer or answer.restarts_used < recording.FREE_RESTARTS,
        "received": recording.received(session, answer) if answer else [],
        "text": answer.text if answer and answer.status is AnswerStatus.SUBMITTED else None,
    }


def _interview(session, token: str) -> Interview:
    interview = find_interview(session, token)
    if interview is None:
        abort(404)
    if interview.state in (InterviewState.EXPIRED, InterviewState.CANCELLED) or (
            plan.closes_at(interview) <= utcnow()
            and interview.state is not InterviewState.COMPLETED):
        raise recording.AnswerError(410, "session_closed", "this interview is no longer open")
    return interview


def _writer() -> str:
    writer = request.headers.get("X-Writer", "")
    if not 16 <= len(writer) <= 100:
        raise recording.AnswerError(400, "writer_required")
    return writer


def _json() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise recording.AnswerError(400, "json_required")
    return body


@contextmanager
def _db() -> Iterator:
    """A transaction that is rolled back on refusal, unless the refusal keeps its changes."""
    with current_app.extensions["connector"].db.session() as session:
        try:
            yield session
        except recording.AnswerError as exc:
            if exc.keep_changes:
                session.commit()
            raise


@contextmanager
def _spooled_body() -> Iterator:
    """The request body, read off the network before any transaction begins.

    A slow connection would otherwise hold the transaction open while it trickles in, and on
    SQLite every other writer waits on that transaction. Up to 1 MiB stays in memory.
    """
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as body:
        copied = 0
        while block := request.stream.read(SPOOL_BLOCK):
            copied += len(block)
            if copied > recording.MAX_CHUNK_BYTES:
                raise recording.AnswerError(413, "chunk_too_large")
            body.write(block)
        body.seek(0)
        yield body


def _storage():
    return current_app.extensions["connector"].storage
