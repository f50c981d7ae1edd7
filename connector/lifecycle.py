"""An interview after its invitation: the reminder, the deadline, and an admin's corrections.

Every function takes `now` so a caller (or a test) decides what time it is; the caller commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from connector import crypto, notes, plan
from connector.candidate import media, recording
from connector.interviews import OPEN_STATES, Timers, add_once, interview_link
from connector.models import (
    Answer,
    AnswerChunk,
    AnswerStatus,
    Email,
    Interview,
    Push,
    InterviewState,
    utcnow,
)
from connector.privacy import retention
from connector.storage import Storage

log = logging.getLogger("connector.lifecycle")

BATCH = 500  # sessions per run; the sweeper takes the rest a minute later
MAX_EXTENSION_HOURS = 24 * 365


class LifecycleError(Exception):
    """A correction that cannot be made; the message says why, and nothing was written."""


def find(session: Session, public_id: str) -> Interview:
    """The session with this public id, locked against a concurrent expiry; or LifecycleError."""
    interview = session.scalar(select(Interview)
                               .where(Interview.public_id == public_id).with_for_update())
    if interview is None:
        raise LifecycleError(f"no interview session {public_id!r}")
    return interview


def reminders_due(session: Session, now: datetime | None = None,
                  limit: int = BATCH) -> list[Interview]:
    """Open, not yet reminded sessions with deadline - reminder_hours <= now < deadline."""
    now = now or utcnow()
    waiting = and_(Interview.state.in_(OPEN_STATES),
                   Interview.reminded_at.is_(None),
                   Interview.reminder_hours > 0,
                   Interview.deadline_at > now)
    # Date arithmetic on a column differs between SQLite and PostgreSQL; one bound per
    # distinct window length keeps the query portable (templates use a handful of lengths).
    hours = session.scalars(select(Interview.reminder_hours).where(waiting).distinct()).all()
    if not hours:
        return []
    inside = or_(*(and_(Interview.reminder_hours == h,
                        Interview.deadline_at <= now + timedelta(hours=h)) for h in hours))
    return list(session.scalars(select(Interview).where(waiting, inside)
                                .order_by(Interview.id).limit(limit)
                                .with_for_update(skip_locked=True)))


def send_reminder(session: Session, interview: Interview, keyring: crypto.Keyring,
                  base_url: str, now: datetime | None = None) -> Email | None:
    """Queue the reminder e-mail with the candidate's own link; None if it was queued before."""
    link = interview_link(base_url, keyring.decrypt(interview.token_encrypted))
    interview.reminded_at = now or utcnow()
    return add_once(session, notes.reminder_email(interview.installation, interview, link))


def send_reminders(session: Session, keyring: crypto.Keyring, base_url: str,
                   now: datetime | None = None) -> list[Email]:
    """Queue every reminder that is due; a session whose link cannot be decrypted is skipped."""
    now = now or utcnow()
    emails = []
    for interview in reminders_due(session, now):
        try:
            email = send_reminder(session, interview, keyring, base_url, now)
        except crypto.InvalidToken:
            log.warning("lifecycle.reminder-skipped session=%s reason=undecryptable-link",
                        interview.public_id)
            continue
        if email is not None:
            emails.append(email)
    return emails


def expire_due(session: Session, now: datetime | None = None, limit: int = BATCH) -> list[Push]:
    """Close every open session whose deadline has passed, and note it on the ATS once."""
    now = now or utcnow()
    due = session.scalars(select(Interview).where(
        Interview.state.in_(OPEN_STATES), Interview.deadline_at <= now,
    ).order_by(Interview.id).limit(limit).with_for_update(skip_locked=True)).all()
    pushes = []
    for interview in due:
        if plan.closes_at(interview) > now:
            continue  # an answer begun before the deadline is still being finished
        interview.state = InterviewState.EXPIRED
        retention.settle(interview, now)
        answered, total = answer_counts(session, interview)
        push = add_once(session, notes.expired(interview.installation, interview, answered, total))
        if push is not None:
            pushes.append(push)
    return pushes


def answer_counts(session: Session, interview: Interview) -> tuple[int, int]:
    """(submitted answers, questions) over the plan's questions, the practice one left out."""
    positions = [q["position"] for q in interview.plan if not q.get("is_practice")]
    if not positions:
        return 0, 0
    answered = session.scalar(select(func.count()).select_from(Answer).where(
        Answer.session_id == interview.id, Answer.status == AnswerStatus.SUBMITTED,
        Answer.position.in_(positions)))
    return answered, len(positions)


def extend(session: Session, interview: Interview, hours: int,
           now: datetime | None = None) -> Timers:
    """Move the deadline to max(deadline, now) + hours; an expired session opens again."""
    now = now or utcnow()
    if isinstance(hours, bool) or not isinstance(hours, int) \
            or not 1 <= hours <= MAX_EXTENSION_HOURS:
        raise LifecycleError(f"hours must be a whole number from 1 to {MAX_EXTENSION_HOURS}")
    _refuse_cancelled(interview, "extended")
    interview.deadline_at = max(interview.deadline_at, now) + timedelta(hours=hours)
    if interview.state is InterviewState.EXPIRED:
        interview.state = InterviewState.STARTED if interview.consented_at else InterviewState.INVITED
        retention.reopen(interview)
    reminder = interview.deadline_at - timedelta(hours=interview.reminder_hours)
    if interview.reminder_hours > 0 and reminder > now:
        interview.reminded_at = None  # the new deadline earns its own reminder
    log.info("lifecycle.extended session=%s hours=%s", interview.public_id, hours)
    return Timers.of(interview)


def resend(session: Session, interview: Interview, base_url: str,
           keyring: crypto.Keyring, now: datetime | None = None) -> Email:
    """Queue the invitation again, with the same personal link and the current deadline."""
    now = now or utcnow()
    _refuse_cancelled(interview, "sent again")
    if interview.state is InterviewState.COMPLETED:
        raise LifecycleError(f"session {interview.public_id} is completed; "
                             "there is nothing left for the candidate to do")
    _refuse_past_deadline(interview, now)
    try:
        link = interview_link(base_url, keyring.decrypt(interview.token_encrypted))
    except crypto.InvalidToken as exc:
        raise LifecycleError("the link cannot be decrypted with the current SECRET_KEYS") from exc
    number = _resends(session, interview) + 1
    email = add_once(session, notes.invitation_email(interview.installation, interview, link,
                                                     resend=number))
    if email is None:  # two resends at once; the row lock makes this rare outside SQLite
        raise LifecycleError("another resend of this session is under way; try again")
    log.info("lifecycle.resent session=%s email=%s", interview.public_id, email.id)
    return email


def _resends(session: Session, interview: Interview) -> int:
    prefix = f"invitation:{interview.public_id}:resend:"
    return session.scalar(select(func.count()).select_from(Email).where(
        Email.session_id == interview.id, Email.dedupe_key.startswith(prefix, autoescape=True)))


def accommodate(interview: Interview, time_factor: float, extra_retakes: int) -> None:
    """Longer prep and answer times and more retakes for one candidate, from now on."""
    _refuse_cancelled(interview, "changed")
    if interview.state in (InterviewState.COMPLETED, InterviewState.EXPIRED):
        raise LifecycleError(f"session {interview.public_id} is {interview.state.value}; "
                             "extend or reset it first")
    interview.time_factor, interview.extra_retakes = time_factor, extra_retakes
    log.info("lifecycle.accommodated session=%s", interview.public_id)


def reset_answer(session: Session, interview: Interview, position: int, storage: Storage,
                 now: datetime | None = None) -> list[str]:
    """Delete one answer and its file so the candidate can record it again; returns the keys."""
    now = now or utcnow()
    _refuse_cancelled(interview, "changed")
    _refuse_past_deadline(interview, now)
    _question(interview, position)
    answer = session.scalar(select(Answer).where(
        Answer.session_id == interview.id, Answer.position == position).with_for_update())
    if answer is None:
        raise LifecycleError(f"question {position} of session {interview.public_id} "
                             "has no answer to reset")
    keys = [answer.storage_key] if answer.storage_key else []
    keys += [media.chunk_key(interview, answer, i) for i in recording.received(session, answer)]
    keys = [key for key in keys if storage.exists(key)]
    session.execute(delete(AnswerChunk).where(AnswerChunk.answer_id == answer.id))
    session.delete(answer)
    if interview.state is InterviewState.COMPLETED:
        interview.state, interview.completed_at = InterviewState.STARTED, None
        retention.reopen(interview)
    # The rows go first: should deleting them fail, the file is still there for them.
    session.flush()
    session.expire(interview, ["answers"])
    storage.delete(keys)
    log.info("lifecycle.answer-reset session=%s position=%s files=%s",
             interview.public_id, position, len(keys))
    return keys


def _question(interview: Interview, position: int) -> dict:
    """The plan's question at this position; the practice question has no answer to reset."""
    for item in interview.plan:
        if item["position"] == position:
            if item.get("is_practice"):
                raise LifecycleError(f"question {position} is the practice question; "
                                     "its answer is never kept")
            return item
    known = ", ".join(str(q["position"]) for q in interview.plan if not q.get("is_practice"))
    raise LifecycleError(f"session {interview.public_id} has no question {position} "
                         f"(its questions are {known or 'none'})")


def _refuse_cancelled(interview: Interview, done: str) -> None:
    if interview.state is InterviewState.CANCELLED:
        raise LifecycleError(f"session {interview.public_id} is cancelled (the application "
                             f"was closed in the ATS); it cannot be {done}")


def _refuse_past_deadline(interview: Interview, now: datetime) -> None:
    if interview.state is InterviewState.EXPIRED or interview.deadline_at <= now:
        raise LifecycleError(f"session {interview.public_id} is past its deadline "
                             f"({notes.stamp(interview.deadline_at)}); extend it first")
