"""A session's pinned questions and the limits each has for this candidate."""

from __future__ import annotations

from dataclasses import dataclass

from connector.models import InterviewSession

BYTES_PER_SECOND = {"video": 1_000_000, "audio": 64_000}  # well above MediaRecorder defaults
SLACK_BYTES = 2 * 1024 * 1024
SETUP_MINUTES = 5  # reading, the device check, submitting: time on top of the questions' own


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


def question(interview: InterviewSession, position: int) -> dict:
    for item in interview.plan:
        if item["position"] == position:
            return item
    raise NoSuchQuestion(position)


def limits(interview: InterviewSession, item: dict) -> Limits:
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


def minutes_needed(interview: InterviewSession) -> int:
    """About how long the whole interview takes: every question's times, and a device check."""
    seconds = sum(limits(interview, item).prep_seconds + limits(interview, item).answer_seconds
                  for item in interview.plan)
    return -(-seconds // 60) + SETUP_MINUTES
