"""A session's pinned questions, the limits each has for this candidate, and the deadline's grace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.models import Answer, Interview

BYTES_PER_SECOND = {"video": 1_000_000, "audio": 64_000}  # well above MediaRecorder defaults
SLACK_BYTES = 2 * 1024 * 1024
SETUP_MINUTES = 5  # reading, the device check, submitting: time on top of the questions' own
# An answer begun before the deadline may be finished after it: its answer time, and then this
# long to send what was recorded over a slow connection.
UPLOAD_GRACE = timedelta(minutes=10)


class NoSuchQuestion(LookupError):
    """The plan has no question at that position."""


@dataclass(frozen=True)
class Limits:
    """A question's limits for this session, an accommodation included."""

    prep_seconds: int
    answer_seconds: int
    retakes: int
    max_bytes: int
    max_characters: int | None


def question(interview: Interview, position: int) -> dict:
    for item in interview.plan:
        if item["position"] == position:
            return item
    raise NoSuchQuestion(position)


def limits(interview: Interview, item: dict) -> Limits:
    factor = max(interview.time_factor or 1.0, 1.0)
    answer_seconds = round(item["answer_seconds"] * factor)
    rate = BYTES_PER_SECOND.get(item["kind"], 0)
    return Limits(
        prep_seconds=round(item["prep_seconds"] * factor),
        answer_seconds=answer_seconds,
        retakes=item["retakes"] + (interview.extra_retakes or 0),
        max_bytes=answer_seconds * rate + SLACK_BYTES if rate else 0,
        max_characters=item.get("max_characters"),
    )


def minutes_needed(interview: Interview) -> int:
    """About how long the whole interview takes: every question's times, and a device check."""
    seconds = sum(limits(interview, item).prep_seconds + limits(interview, item).answer_seconds
                  for item in interview.plan)
    return -(-seconds // 60) + SETUP_MINUTES


def grace_end(interview: Interview, answer: Answer | None) -> datetime | None:
    """Until when an answer begun before the deadline may still be written; None if it was not."""
    started = answer.take_started_at if answer is not None else None
    if started is None or started >= interview.deadline_at:
        return None
    seconds = limits(interview, question(interview, answer.position)).answer_seconds
    return started + timedelta(seconds=seconds) + UPLOAD_GRACE


def closes_at(interview: Interview) -> datetime:
    """The last moment anything may be written: the deadline, or the end of an answer's grace."""
    ends = [grace_end(interview, answer) for answer in interview.answers]
    return max([interview.deadline_at, *(end for end in ends if end is not None)])


def bounded_duration(interview: Interview, answer: Answer, reported: int | None,
                     now: datetime) -> int | None:
    """The length the browser reports, within what the question and the clock allow.

    It cannot exceed the answer time (recording stops there), nor the time since the take
    began; a negative or missing one is unknown.
    """
    if reported is None or reported < 0:
        return None
    cap = limits(interview, question(interview, answer.position)).answer_seconds * 1000
    if answer.take_started_at is not None:
        cap = min(cap, int((now - answer.take_started_at).total_seconds() * 1000))
    return min(reported, max(cap, 0))
