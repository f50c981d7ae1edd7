"""The answer protocol: takes, chunks uploaded by index, and an explicit submit with a checksum.

A browser uploads each MediaRecorder chunk as it comes, by index, as often as it must: the
same bytes again are a no-op, other bytes under a known index are refused. An answer is final
only on submit, which names the number of chunks, the total size and the SHA-256 of the whole;
the server joins the chunks in storage and checks both before accepting it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector import notes, plan
from connector.candidate.media import MIME_TYPES, answer_key, chunk_key, container_of
from connector.crypto import hash_token
from connector.plan import limits
from connector.privacy import retention
from connector.interviews import add_once
from connector.models import (
    Answer,
    AnswerChunk,
    AnswerKind,
    AnswerStatus,
    Interview,
    InterviewState,
    utcnow,
)
from connector.storage import Storage, TooLarge, blocks

MAX_CHUNK_BYTES = 8 * 1024 * 1024
MAX_CHUNKS = 10_000
WRITER_LEASE = timedelta(seconds=30)  # a tab silent this long may be taken over by another
# Takes cut off by a reload or a crash that may be recorded again without using a retake; past
# these, replacing an unstopped take uses a retake like any other, so no one records endlessly.
FREE_RESTARTS = 1
class AnswerError(Exception):
    """A request the protocol refuses: `status` is the HTTP status, `reason` a stable word."""

    def __init__(self, status: int, reason: str, detail: str = "", keep_changes: bool = False,
                 **extra):
        super().__init__(detail or reason)
        self.status, self.reason, self.detail, self.extra = status, reason, detail, extra
        self.keep_changes = keep_changes  # commit what was done before refusing


def question(interview: Interview, position: int) -> dict:
    """The plan's question at `position`; a 404 for the browser if there is none."""
    try:
        return plan.question(interview, position)
    except plan.NoSuchQuestion:
        raise AnswerError(404, "no_such_question") from None


def check_open(interview: Interview, now: datetime, until: datetime | None = None) -> None:
    """Refuse any write to an interview that is not open for answers.

    `until` is the grace this write may use after the deadline (see `grace_end`).
    """
    closes = max(interview.deadline_at, until or interview.deadline_at)
    if interview.state in (InterviewState.EXPIRED, InterviewState.CANCELLED) or closes <= now:
        raise AnswerError(410, "session_closed", "this interview is no longer open")
    if interview.state is InterviewState.COMPLETED:
        raise AnswerError(409, "session_completed")
    if interview.consented_at is None:
        raise AnswerError(409, "consent_required")


def claim(db: Session, interview: Interview, position: int, writer: str,
          now: datetime | None = None) -> Answer:
    """This tab works on the question now; repeated as a heartbeat while it stays open."""
    now = now or utcnow()
    item = question(interview, position)
    check_open(interview, now, plan.grace_end(interview, _answer_at(db, interview, position)))
    if item["is_practice"]:
        raise AnswerError(409, "practice_not_stored", "practice answers stay in the browser")
    answer = _answer_for(db, interview, item)
    _claim_writer(answer, writer, now)
    if answer.kind is AnswerKind.TEXT and answer.take_started_at is None:
        answer.take_started_at = now  # writing begins when the question is first shown
    return answer


def start_take(db: Session, storage: Storage | None, interview: Interview, position: int,
               writer: str, mime_type: str | None, now: datetime | None = None) -> Answer:
    """Open the question for recording in this tab: a first take, a retake, or a resumption."""
    now = now or utcnow()
    item = question(interview, position)
    answer = claim(db, interview, position, writer, now)
    if answer.status is AnswerStatus.SUBMITTED:
        raise AnswerError(409, "answer_submitted")
    if answer.kind is AnswerKind.TEXT:
        return answer
    if now >= interview.deadline_at:  # only a take begun before the deadline has a grace
        raise AnswerError(410, "session_closed", "the deadline has passed")
    container = MIME_TYPES.get((mime_type or "").split(";")[0].strip().lower())
    if container is None:
        raise AnswerError(415, "unsupported_media_type", "record WebM or MP4")
    if _chunk_count(db, answer):
        _count_new_take(answer, limits(interview, item).retakes)
        _drop_take(db, answer, storage, interview)
        answer.take += 1
    answer.take_finished, answer.take_started_at = False, now
    answer.container, answer.mime_type = container, mime_type[:100]
    return answer


def accept_chunk(db: Session, storage: Storage, interview: Interview, position: int,
                 take: int, index: int, writer: str, body: BinaryIO,
                 now: datetime | None = None) -> bool:
    """Store one chunk; False when the same bytes were already stored under that index."""
    now = now or utcnow()
    answer = _writable(db, interview, position, take, writer, now)
    if not 0 <= index < MAX_CHUNKS:
        raise AnswerError(400, "bad_chunk_index")
    stored, existing = _take_so_far(db, answer, index)
    if existing is not None:
        return _same_chunk(existing, body)
    room = limits(interview, question(interview, position)).max_bytes - stored
    try:
        written = storage.write(chunk_key(interview, answer, index), body,
                                min(MAX_CHUNK_BYTES, max(room, 0)))
    except TooLarge as exc:
        raise AnswerError(413, "answer_too_large", "the answer is longer than its limit") from exc
    if index == 0 and container_of(written.head) != answer.container:
        storage.delete([chunk_key(interview, answer, index)])
        raise AnswerError(415, "unsupported_container", "not a WebM or MP4 recording")
    try:
        with db.begin_nested():
            db.add(AnswerChunk(answer_id=answer.id, take=take, index=index,
                               size=written.size, sha256=written.sha256))
    except IntegrityError:  # the same index raced in from a retried request, or an erasure
        _refuse_if_erased(db, storage, interview, [chunk_key(interview, answer, index)])
        return False
    _refuse_if_erased(db, storage, interview, [chunk_key(interview, answer, index)])
    return True


def finish_take(db: Session, interview: Interview, position: int, take: int,
                writer: str, now: datetime | None = None) -> Answer:
    """The candidate stopped recording: recording again from here on uses a retake."""
    answer = _writable(db, interview, position, take, writer, now or utcnow())
    answer.take_finished = True
    return answer


def _count_new_take(answer: Answer, retakes: int) -> None:
    """Replacing a take with chunks: a free restart after an interruption, else a retake."""
    if not answer.take_finished and answer.restarts_used < FREE_RESTARTS:
        answer.restarts_used += 1
    elif answer.retakes_used < retakes:
        answer.retakes_used += 1
    else:
        raise AnswerError(409, "no_retakes_left")


def submit(db: Session, storage: Storage, interview: Interview, position: int, take: int,
           writer: str, *, chunks: int, size: int, sha256: str, duration_ms: int | None,
           now: datetime | None = None) -> Answer:
    """Make a take the answer, once every chunk is in and the whole matches its checksum."""
    now = now or utcnow()
    answer = _answer_at(db, interview, position)
    if answer is not None and answer.status is AnswerStatus.SUBMITTED and answer.take == take \
            and answer.sha256 == sha256:
        return answer  # a retried submit whose first answer was lost on the way
    answer = _writable(db, interview, position, take, writer, now)
    rows = db.scalars(select(AnswerChunk).where(
        AnswerChunk.answer_id == answer.id, AnswerChunk.take == take)
        .order_by(AnswerChunk.index)).all()
    missing = sorted(set(range(chunks)) - {r.index for r in rows})
    if missing or len(rows) != chunks or chunks == 0:
        raise AnswerError(409, "missing_chunks", missing=missing[:100])
    if sum(r.size for r in rows) != size:
        raise AnswerError(422, "size_mismatch")
    final = answer_key(interview, answer)
    written = storage.compose([chunk_key(interview, answer, r.index) for r in rows], final)
    if written.sha256 != sha256.lower():
        # A chunk was damaged on the way: drop the take's chunks so the browser sends them again.
        storage.delete([final])
        _drop_take(db, answer, storage, interview)
        raise AnswerError(422, "checksum_mismatch", keep_changes=True)
    _refuse_if_erased(db, storage, interview,
                      [final, *(chunk_key(interview, answer, r.index) for r in rows)])
    storage.delete([chunk_key(interview, answer, r.index) for r in rows])
    db.execute(delete(AnswerChunk).where(AnswerChunk.answer_id == answer.id))
    answer.status, answer.storage_key, answer.size_bytes = AnswerStatus.SUBMITTED, final, size
    answer.sha256, answer.submitted_at = written.sha256, now
    answer.duration_ms = plan.bounded_duration(interview, answer, duration_ms, now)
    answer.take_finished = True
    return answer


def submit_text(db: Session, interview: Interview, position: int, writer: str, text: str,
                now: datetime | None = None) -> Answer:
    """A written answer: final at once, within the question's character limit."""
    answer = start_take(db, None, interview, position, writer, None, now)
    if answer.kind is not AnswerKind.TEXT:
        raise AnswerError(409, "not_a_text_question")
    cap = limits(interview, question(interview, position)).max_characters
    text = (text or "").strip()
    if not text:
        raise AnswerError(422, "empty_answer")
    if cap and len(text) > cap:
        raise AnswerError(422, "too_long", f"at most {cap} characters")
    answer.text, answer.status, answer.submitted_at = text, AnswerStatus.SUBMITTED, now or utcnow()
    answer.size_bytes = len(text.encode())
    return answer


def complete(db: Session, interview: Interview, links=lambda: [],
             now: datetime | None = None) -> int | None:
    """Close an interview whose questions are all answered; returns the ATS note's push id.

    `links` is called once the interview is known to be complete: the review links it returns
    (label, url) go into the note.
    """
    now = now or utcnow()
    if interview.state is InterviewState.COMPLETED:
        return None
    check_open(interview, now, plan.closes_at(interview))
    answered = {a.position for a in interview.answers if a.status is AnswerStatus.SUBMITTED}
    missing = [q["position"] for q in interview.plan
               if not q["is_practice"] and q["position"] not in answered]
    if missing:
        raise AnswerError(409, "unanswered_questions", missing=missing)
    interview.state, interview.completed_at = InterviewState.COMPLETED, now
    retention.settle(interview, now)
    push = add_once(db, notes.completed(interview.installation, interview, links()))
    return push.id if push else None


def received(db: Session, answer: Answer) -> list[int]:
    """The chunk indexes the server holds for the answer's current take."""
    return list(db.scalars(select(AnswerChunk.index).where(
        AnswerChunk.answer_id == answer.id, AnswerChunk.take == answer.take)
        .order_by(AnswerChunk.index)))


def _answer_at(db: Session, interview: Interview, position: int) -> Answer | None:
    return db.scalar(select(Answer).where(Answer.session_id == interview.id,
                                          Answer.position == position))


def _answer_for(db: Session, interview: Interview, item: dict) -> Answer:
    answer = _answer_at(db, interview, item["position"])
    if answer is not None:
        return answer
    answer = Answer(session_id=interview.id, position=item["position"],
                    kind=AnswerKind(item["kind"]), take=1, retakes_used=0, take_finished=False,
                    size_bytes=0, status=AnswerStatus.RECORDING)
    try:
        with db.begin_nested():
            db.add(answer)
    except IntegrityError:  # another tab created it a moment ago
        answer = _answer_at(db, interview, item["position"])
    return answer


def _claim_writer(answer: Answer, writer: str, now: datetime) -> None:
    """One tab writes an answer; another may take over only after the first fell silent."""
    mine = hash_token(writer)
    held = answer.writer_hash and answer.writer_hash != mine and answer.writer_seen_at \
        and now - answer.writer_seen_at < WRITER_LEASE
    if held:
        raise AnswerError(409, "in_use_elsewhere", "this question is open in another tab")
    answer.writer_hash, answer.writer_seen_at = mine, now


def _writable(db: Session, interview: Interview, position: int, take: int, writer: str,
              now: datetime) -> Answer:
    answer = _answer_at(db, interview, position)
    check_open(interview, now, plan.grace_end(interview, answer))
    if answer is None:
        raise AnswerError(409, "take_not_started")
    if answer.status is AnswerStatus.SUBMITTED:
        raise AnswerError(409, "answer_submitted")
    if answer.writer_hash != hash_token(writer):
        raise AnswerError(409, "in_use_elsewhere", "this question is open in another tab")
    if answer.take != take:
        raise AnswerError(409, "stale_take", current_take=answer.take)
    answer.writer_seen_at = now
    return answer


def _refuse_if_erased(db: Session, storage: Storage, interview: Interview,
                      written: list[str]) -> None:
    """Delete what this request just stored, and refuse, if the interview was erased since the
    request found it: an erasure's last sweep of storage may already have passed."""
    row = db.execute(select(Interview.erased_at, Interview.token_hash)
                     .where(Interview.id == interview.id)).one_or_none()
    if row is None or row.erased_at is not None or row.token_hash != interview.token_hash:
        storage.delete(written)
        raise AnswerError(410, "session_closed", "this interview is no longer open")


def _same_chunk(existing_sha256: str, body: BinaryIO) -> bool:
    digest = hashlib.sha256()
    for block in blocks(body):
        digest.update(block)
    if digest.hexdigest() != existing_sha256:
        raise AnswerError(409, "chunk_conflict", "other bytes were already stored at this index")
    return False


def _take_so_far(db: Session, answer: Answer, index: int) -> tuple[int, str | None]:
    """The bytes the current take holds, and the SHA-256 of its chunk at `index` if it has one.

    One query: each chunk's request makes it, and round trips are most of a chunk's time.
    """
    at_index = case((AnswerChunk.index == index, AnswerChunk.sha256))
    stored, sha256 = db.execute(select(func.coalesce(func.sum(AnswerChunk.size), 0),
                                       func.max(at_index))
                                .where(AnswerChunk.answer_id == answer.id,
                                       AnswerChunk.take == answer.take)).one()
    return int(stored), sha256


def _chunk_count(db: Session, answer: Answer) -> int:
    return len(received(db, answer))


def _drop_take(db: Session, answer: Answer, storage: Storage | None = None,
               interview: Interview | None = None) -> None:
    indexes = received(db, answer)
    if storage is not None and interview is not None:
        storage.delete([chunk_key(interview, answer, i) for i in indexes])
    db.execute(delete(AnswerChunk).where(AnswerChunk.answer_id == answer.id,
                                         AnswerChunk.take == answer.take))
