"""The adapter contract: what every ATS folder provides, and the events it turns deliveries into."""

from __future__ import annotations

import abc
import enum
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from adapters.http import RateLimitInfo, TokenCache


# The longest text an Event may carry: what the columns that keep it hold (connector/models.py).
# A webhook over these is refused at the edge: the worker must never meet a value it cannot store.
MAX_ID = 64  # two ids and an entry number fit an outbox key of 200 ("no_email:<app>:<stage>#n")
MAX_NAME = 100  # first and last name each: InterviewSession.candidate_name holds 300
MAX_TITLE = 200  # job titles and stage names: StageRule.stage holds 200
MAX_EMAIL = 320  # RFC 5321's longest path, and InterviewSession.candidate_email
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
    candidate: Candidate
    stage_id: str | None = None
    stage_name: str | None = None
    job_id: str | None = None
    job_title: str | None = None
    application_url: str | None = None
    occurred_at: str | None = None  # ISO 8601, as the ATS sent it

    def to_dict(self) -> dict:
        # By hand rather than dataclasses.asdict, whose deep copy is slow on the webhook path.
        return {**vars(self), "kind": self.kind.value, "candidate": dict(vars(self.candidate))}

    @classmethod
    def from_dict(cls, data: Mapping) -> Event:
        values = dict(data)
        values["kind"] = EventKind(values["kind"])
        values["candidate"] = Candidate(**values["candidate"])
        return cls(**values)


# The reviewers' recommendations, weakest first, as Result.recommendation names them.
RECOMMENDATION_WORDS = {"strong_no": "Strong no", "no": "No", "yes": "Yes",
                        "strong_yes": "Strong yes"}


@dataclass(frozen=True)
class Result:
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
    result: Result | None = None
    move_to_stage: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping) -> Outcome:
        """An outcome as the outbox stored it (dataclasses.asdict, through JSON)."""
        values = dict(data)
        result = values.get("result")
        if result is not None:
            values["result"] = Result(
                overall=result.get("overall"), recommendation=result.get("recommendation"),
                competencies=tuple(tuple(c) for c in result.get("competencies") or ()),
                reviewers=tuple(result.get("reviewers") or ()),
                review_url=result.get("review_url"))
        return cls(**values)


@dataclass(frozen=True)
class Receipt:
    external_id: str | None


@dataclass(frozen=True)
class Connection:
    """What an adapter needs of one installation, decrypted: no database object."""

    webhook_secret: str
    credentials: Mapping[str, str]
    api_base_url: str | None = None
    strict_hosts: bool = True  # production: only the ATS's own hosts
    # What the admin chose to send back: {"note_visibility": "admin_only", "custom_field": ...,
    # "decision_stages": {"strong_yes": "<stage id>", ...}}; see each adapter for its keys.
    options: Mapping[str, Any] = field(default_factory=dict)


class Adapter(abc.ABC):
    """One ATS. Subclasses declare `key`, `name`, `events` and implement the methods below."""

    key: ClassVar[str]
    name: ClassVar[str]
    events: ClassVar[Mapping[str, EventKind]]  # ATS event name -> ours; the supported set
    credential_keys: ClassVar[tuple[str, ...]] = ()
    allowed_hosts: ClassVar[tuple[str, ...]] = ()  # host suffixes the API client may call
    # Requests per seconds, per installation: the default until the ATS reports its own limit.
    rate_limit: ClassVar[tuple[int, int]] = (50, 10)

    def __init__(self, connection: Connection):
        self.connection = connection
        # Set by the job code: a token store shared across processes, and who to tell what each
        # response says of the rate limit. The adapter works without either.
        self.token_cache: TokenCache | None = None
        self.on_rate_limit: Callable[[RateLimitInfo], None] | None = None

    @abc.abstractmethod
    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise SignatureError unless the ATS signed these exact bytes; fail closed."""

    @abc.abstractmethod
    def parse(self, body: bytes, headers: Mapping[str, str]) -> Event | None:
        """Turn a verified delivery into an Event; None for one we know but do not act on."""

    @abc.abstractmethod
    def push(self, outcome: Outcome, *, first_attempt: bool = True) -> Receipt:
        """Write an outcome to the ATS once; raises adapters.http.ApiError subclasses."""

    @classmethod
    @abc.abstractmethod
    def sign(cls, body: bytes, secret: str) -> dict[str, str]:
        """Headers the ATS itself would send with this body: for tests and replays."""

    @classmethod
    def new_webhook_secret(cls) -> str:
        """A fresh webhook secret in the form this ATS expects; by default a URL-safe random one."""
        from connector.crypto import new_webhook_secret

        return new_webhook_secret()

    @classmethod
    def check_credentials(cls, credentials: Mapping[str, str]) -> list[str]:
        """Name what is missing or malformed in a set of credentials."""
        return []

    def delivery_id(self, body: bytes, headers: Mapping[str, str]) -> str:
        """The ATS's own id for this delivery, else a hash of the body."""
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def action(self, body: bytes, headers: Mapping[str, str]) -> str:
        """The ATS's name for this delivery's event, for the inbox and logs."""
        return "unknown"

    def read(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, Event | None]:
        """The action and the parsed event together; adapters override it to decode once."""
        return self.action(body, headers), self.parse(body, headers)

    def candidate(self, event: Event) -> Candidate:
        """The candidate behind an event; adapters with thin payloads re-fetch it."""
        return event.candidate

    def check_connection(self) -> None:
        """One cheap authenticated call to the ATS; raises adapters.http.ApiError subclasses.

        The default calls nothing: an adapter without a way to check passes.
        """
        return None

    def list_stages(self) -> list[tuple[str, str]] | None:
        """The ATS's pipeline stages as [(id, name)]; None when its API cannot list them."""
        return None
