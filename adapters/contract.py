"""The adapter contract, in three parts: inbound (web request), enrich and outbound (jobs).

An adapter is built for one installation by `Manifest.build`, with everything it needs passed
in. It calls the ATS and nothing else: the algorithm that makes a push exactly-once (find the
note by its marker, then create; move only from the stage read just before) lives once, in
jobs/writeback.py, and calls the outbound primitives below.
"""

from __future__ import annotations

import abc
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from adapters.events import Event, EventKind, Outcome
from adapters.http import RateLimitInfo, TokenCache
from adapters.signing import new_secret

if TYPE_CHECKING:
    from adapters.manifest import Manifest


@dataclass(frozen=True)
class Connection:
    """What an adapter needs of one installation, decrypted: no database object."""

    webhook_secret: str
    credentials: Mapping[str, str]
    api_base_url: str | None = None
    strict_hosts: bool = True  # production: only the ATS's own hosts and the operator's
    extra_hosts: tuple[str, ...] = ()  # hosts the operator allows beyond the ATS's own
    # What the admin chose: the manifest's options (e.g. Greenhouse's note visibility) and the
    # core's ("decision_stages": {"strong_yes": "<stage>", ...}).
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Tools:
    """What the jobs lend an adapter; it works without any of them."""

    token_cache: TokenCache | None = None  # API tokens shared across processes
    on_rate_limit: Callable[[RateLimitInfo], None] | None = None  # told what each answer says
    clock: Callable[[], float] = time.time  # for signatures with a timestamp


@dataclass(frozen=True)
class Position:
    """Where an application stands: its stage, and the job the stage belongs to."""

    stage_id: str
    job_id: str | None = None


@dataclass(frozen=True)
class Handshake:
    """The answer to an ATS's subscription check, given before any signature exists."""

    status: int
    headers: Mapping[str, str]
    body: str = ""


class Adapter(abc.ABC):
    """One ATS for one installation. Subclasses declare `events` and implement what they offer."""

    events: ClassVar[Mapping[str, EventKind]]  # the ATS's event name -> ours; the supported set
    # Headers `read` needs besides the body, kept with the delivery so a replay can re-read it.
    kept_headers: ClassVar[tuple[str, ...]] = ()
    ack_status: ClassVar[int] = 200  # what the ATS expects for a delivery it may stop sending

    def __init__(self, manifest: Manifest, connection: Connection, tools: Tools | None = None):
        self.manifest = manifest
        self.connection = connection
        self.tools = tools or Tools()

    @property
    def key(self) -> str:
        return self.manifest.key

    @property
    def name(self) -> str:
        return self.manifest.name

    # Inbound: run in the web request ------------------------------------------------------

    @abc.abstractmethod
    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise SignatureError unless the ATS signed these exact bytes; fail closed."""

    @abc.abstractmethod
    def read(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, Event | None]:
        """The ATS's name for the event, and the Event; None for one we do not act on."""

    def delivery_id(self, body: bytes, headers: Mapping[str, str]) -> str:
        """The ATS's own id for this delivery, else a hash of the body."""
        return "sha256:" + hashlib.sha256(body).hexdigest()

    @classmethod
    @abc.abstractmethod
    def sign(cls, body: bytes, secret: str) -> dict[str, str]:
        """Headers the ATS itself would send with this body: for tests and test events."""

    @classmethod
    def new_webhook_secret(cls) -> str:
        """A fresh webhook secret in the form this ATS expects; by default a URL-safe one."""
        return new_secret()

    @classmethod
    def check_credentials(cls, credentials: Mapping[str, str]) -> list[str]:
        """Name what is missing or malformed in a set of credentials."""
        return []

    def handshake(self, headers: Mapping[str, str]) -> Handshake | None:
        """Capability `handshake`: the answer to a subscription check, else None."""
        return None

    @classmethod
    def sample(cls, template: dict, token: str) -> tuple[bytes, dict[str, str]]:
        """Capability `test_event`: the folder's sample.json as a delivery, unsigned."""
        return json.dumps(template).encode(), {}

    # Enrich: run in the delivery job --------------------------------------------------------

    def enrich(self, event: Event) -> Event:
        """Capability `enrich`: complete a thin event (ids only) through the ATS's API."""
        return event

    # Outbound primitives: run in the push job ------------------------------------------------

    def create_note(self, outcome: Outcome) -> str | None:
        """Capability `notes`: write `outcome.text` on the candidate's profile; the note's id."""
        raise NotImplementedError

    def find_note(self, outcome: Outcome) -> str | None:
        """Capability `find_note`: the id of a note holding `outcome.marker`, if one exists."""
        raise NotImplementedError

    def set_result(self, outcome: Outcome) -> None:
        """Capability `result_slot`: put `outcome.result` in the ATS's own slot for scores."""
        raise NotImplementedError

    def current_stage(self, application_id: str) -> Position | None:
        """Capability `move`: where the application stands now; None when it cannot be read."""
        raise NotImplementedError

    def stage_for(self, position: Position, wanted: str) -> str:
        """Capability `move`: the stage id `wanted` names for this application (id or name)."""
        return wanted

    def move(self, application_id: str, from_stage: str, to_stage: str) -> None:
        """Capability `move`: move the application, refused by the ATS unless it is at
        `from_stage` where the ATS can check that."""
        raise NotImplementedError

    # For the install wizard ------------------------------------------------------------------

    def check_connection(self) -> None:
        """One cheap authenticated call; raises adapters.errors.ApiError subclasses."""
        return None

    def list_stages(self) -> list[tuple[str, str]] | None:
        """Capability `list_stages`: the pipeline's stages as [(id, name)]."""
        return None
