"""What adapters and the core exchange: events in, outcomes out, whatever the ATS."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass


# The longest text an Event may carry: what the columns that keep it hold (connector/models.py).
# A webhook over these is refused at the edge: the worker must never meet a value it cannot store.
MAX_ID = 64  # two ids and an entry number fit an outbox key of 200 ("no_email:<app>:<stage>#n")
MAX_NAME = 100  # first and last name each: Interview.candidate_name holds 300
MAX_TITLE = 200  # job titles and stage names: StageRule.stage holds 200
MAX_EMAIL = 320  # RFC 5321's longest path, and Interview.candidate_email
MAX_URL = 2048
MAX_TIME = 64  # an ISO 8601 timestamp is about 30 characters
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def usable_email(value: str | None) -> str | None:
    """The address, stripped, if it looks like one and fits its column; None otherwise."""
    value = (value or "").strip()
    # Length first: the pattern backtracks quadratically on long strings of dots.
    return value if len(value) <= MAX_EMAIL and _EMAIL.fullmatch(value) else None


class EventKind(enum.StrEnum):
    """What happened in the ATS, in our words."""

    STAGE_CHANGED = "stage_changed"
    APPLICATION_CLOSED = "application_closed"
    # The ATS deleted or anonymised the candidate, or one application: our copy goes too.
    CANDIDATE_ERASED = "candidate_erased"


@dataclass(frozen=True)
class Candidate:
    ats_id: str
    first_name: str
    last_name: str
    email: str | None
    profile_url: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p).strip()


@dataclass(frozen=True)
class Event:
    """A delivery, parsed: the only shape jobs see, whatever the ATS."""

    kind: EventKind
    action: str
    application_id: str
    # None when the ATS sends ids only: the delivery job asks the adapter to enrich the event.
    candidate: Candidate | None
    stage_id: str | None = None
    stage_name: str | None = None
    job_id: str | None = None
    job_title: str | None = None
    application_url: str | None = None
    occurred_at: str | None = None  # ISO 8601, as the ATS sent it
    # More applications the event concerns: those a candidate's deletion removed with it.
    application_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        # By hand rather than dataclasses.asdict, whose deep copy is slow on the webhook path.
        candidate = None if self.candidate is None else dict(vars(self.candidate))
        return {**vars(self), "kind": self.kind.value, "candidate": candidate,
                "application_ids": list(self.application_ids)}

    @classmethod
    def from_dict(cls, data: Mapping) -> Event:
        values = dict(data)
        values["kind"] = EventKind(values["kind"])
        values["application_ids"] = tuple(values.get("application_ids") or ())
        if values.get("candidate") is not None:
            values["candidate"] = Candidate(**values["candidate"])
        return cls(**values)


# The reviewers' recommendations, weakest first, as Verdict.recommendation names them.
RECOMMENDATION_WORDS = {"strong_no": "Strong no", "no": "No", "yes": "Yes",
                        "strong_yes": "Strong yes"}


@dataclass(frozen=True)
class Verdict:
    """The reviewers' verdict, structured, for an ATS with a slot of its own for it.

    Greenhouse gets it as an application custom field; Lever feedback forms, Ashby assessment
    results and Teamtailor partner results are the same numbers in other shapes.
    """

    overall: float | None  # mean of every rating, out of 5
    recommendation: str | None  # the most common: strong_no, no, yes, strong_yes
    competencies: tuple[tuple[str, float | None], ...] = ()
    reviewers: tuple[str, ...] = ()
    review_url: str | None = None


@dataclass(frozen=True)
class Outcome:
    """Something to write back on the candidate's ATS profile.

    kind "move" moves the application to `move_to_stage`; every other kind writes `text` as a
    note, and with a `result` also fills the ATS's own slot for scores where one is configured.
    """

    kind: str
    application_id: str
    candidate_id: str
    text: str
    marker: str  # unique text inside the note, so a retry can find a note it already wrote
    result: Verdict | None = None
    move_to_stage: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping) -> Outcome:
        """An outcome as the outbox stored it (dataclasses.asdict, through JSON)."""
        values = dict(data)
        result = values.get("result")
        if result is not None:
            values["result"] = Verdict(
                overall=result.get("overall"), recommendation=result.get("recommendation"),
                competencies=tuple(tuple(c) for c in result.get("competencies") or ()),
                reviewers=tuple(result.get("reviewers") or ()),
                review_url=result.get("review_url"))
        return cls(**values)
