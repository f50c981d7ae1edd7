"""The sandbox ATS, and the generic adapter for any Kanban ATS that signs with Standard Webhooks.

Signatures: https://www.standardwebhooks.com/ (spec: github.com/standard-webhooks/standard-webhooks,
spec/standard-webhooks.md). Headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
`webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256>`; the signed content is
`{id}.{timestamp}.{raw body}`, keyed with the base64-decoded secret after its `whsec_` prefix.
Pushes: the REST contract in client.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import json
import time
from collections.abc import Mapping

from adapters.contract import Adapter, Position
from adapters.errors import MalformedPayload, SignatureError
from adapters.events import Candidate, Event, EventKind, Outcome, usable_email
from adapters.sandbox.client import SandboxClient, credential_problems
from adapters.sandbox.schemas import DataSchema, DeletedSchema, EnvelopeSchema
from adapters.parsing import load, load_object
from adapters.signing import same

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60  # the spec's suggested replay window, both ways
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds; int() raises on thousands of digits

_ENVELOPE = EnvelopeSchema()
_DATA = DataSchema()
_DELETED = DeletedSchema()


def signature(secret: str, message_id: str, timestamp: int | str, body: bytes) -> str:
    """The base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under the decoded secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key: the secret's base64 after `whsec_`; ValueError when it is not base64."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the webhook secret is not base64") from exc
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


class SandboxAdapter(Adapter):
    events = {
        "application.stage_changed": EventKind.STAGE_CHANGED,
        "application.closed": EventKind.APPLICATION_CLOSED,
        # The candidate (every application of theirs) or one application was deleted in the
        # ATS: the connector erases its copy too.
        "candidate.deleted": EventKind.CANDIDATE_ERASED,
        "application.deleted": EventKind.CANDIDATE_ERASED,
    }
    kept_headers = (ID_HEADER,)
    _client: SandboxClient | None = None

    # Inbound ---------------------------------------------------------------------------------

    @classmethod
    def new_webhook_secret(cls) -> str:
        """`whsec_` and the base64 of 32 random bytes, as Standard Webhooks secrets look."""
        return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Check one of the `v1,` signatures over id, timestamp and raw body; fail closed."""
        if not self.connection.webhook_secret:
            raise SignatureError("no webhook secret is set", "missing_secret")
        message_id, stamp, given = (headers.get(h) for h in
                                    (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
        if not (message_id and stamp and given):
            raise SignatureError("a webhook-id, -timestamp or -signature header is missing",
                                 "missing_signature")
        if not _TIMESTAMP.fullmatch(stamp.strip()):
            raise SignatureError("webhook-timestamp is not Unix seconds", "malformed_signature")
        if abs(self.tools.clock() - int(stamp)) > TOLERANCE_SECONDS:
            raise SignatureError("webhook-timestamp is outside the 5 minute window",
                                 "stale_timestamp")
        try:
            expected = signature(self.connection.webhook_secret, message_id, stamp.strip(), body)
        except ValueError as exc:  # a secret we cannot decode verifies nothing
            raise SignatureError("the webhook secret is unusable", "missing_secret") from exc
        candidates = [value for version, _, value in
                      (entry.partition(",") for entry in given.split(" ")) if version == "v1"]
        # Compare with every v1 entry (no early exit), so the time taken says nothing.
        if not any([same(expected, value) for value in candidates]):
            raise SignatureError("no signature matches the body", "bad_signature")

    def delivery_id(self, body: bytes, headers: Mapping[str, str]) -> str:
        """The webhook-id: the same for every retry of one message, as the spec requires."""
        message_id = (headers.get(ID_HEADER) or "").strip()
        if _MESSAGE_ID.match(message_id):
            return message_id
        return super().delivery_id(body, headers)

    def read(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, Event | None]:
        """The event type, and an Event for the types we act on."""
        envelope = load_object(body, _ENVELOPE, "a Standard Webhooks event")
        kind = self.events.get(envelope["type"])
        if kind is None:
            return envelope["type"], None
        if kind is EventKind.CANDIDATE_ERASED:
            return envelope["type"], _erasure(envelope)
        data = load(_DATA, envelope["data"], "an application event")
        return envelope["type"], _event(kind, envelope, data)

    @classmethod
    def check_credentials(cls, credentials: Mapping[str, str]) -> list[str]:
        return credential_problems(credentials)

    @classmethod
    def sign(cls, body: bytes, secret: str, *, message_id: str | None = None,
             timestamp: int | None = None) -> dict[str, str]:
        message_id = message_id or f"msg_{secrets.token_urlsafe(18)}"
        timestamp = int(time.time()) if timestamp is None else timestamp
        return {
            "Content-Type": "application/json",
            ID_HEADER: message_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: "v1," + signature(secret, message_id, timestamp, body),
        }

    @classmethod
    def sample(cls, template: dict, token: str) -> tuple[bytes, dict[str, str]]:
        """sample.json, happening now; signing adds a fresh webhook-id."""
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        template["timestamp"] = template["data"]["occurred_at"] = now
        return json.dumps(template).encode(), {}

    # Outbound primitives ---------------------------------------------------------------------

    def create_note(self, outcome: Outcome) -> str | None:
        return self.client().create_note(outcome.application_id, outcome.text)

    def find_note(self, outcome: Outcome) -> str | None:
        return self.client().find_note(outcome.application_id, outcome.marker)

    def set_result(self, outcome: Outcome) -> None:
        if outcome.result is not None:
            self.client().set_fields(outcome.application_id, result_fields(outcome.result))

    def current_stage(self, application_id: str) -> Position | None:
        stage = self.client().stage(application_id)
        return None if stage is None else Position(stage_id=stage)

    def move(self, application_id: str, from_stage: str, to_stage: str) -> None:
        self.client().move(application_id, from_stage, to_stage)

    def client(self) -> SandboxClient:
        if self._client is None:
            self._client = SandboxClient.from_credentials(
                self.connection.credentials, self.connection.api_base_url,
                strict_hosts=self.connection.strict_hosts,
                extra_hosts=self.connection.extra_hosts, on_rate_limit=self.tools.on_rate_limit)
        return self._client


def result_fields(result) -> dict:
    """The reviewers' verdict as the contract's fields: score out of 5, recommendation, link."""
    return {
        "score": None if result.overall is None else round(result.overall, 2),
        "recommendation": result.recommendation,
        "review_url": result.review_url,
    }


def _erasure(envelope: dict) -> Event:
    """candidate.deleted or application.deleted, read as ids only."""
    data = load(_DELETED, envelope["data"], "a deletion event")
    whole = envelope["type"] == "candidate.deleted"
    named = data["candidate"] if whole else data["application"]
    if named is None:
        raise MalformedPayload(f"not a deletion event: {envelope['type']} names no "
                               f"{'candidate' if whole else 'application'}")
    return Event(
        kind=EventKind.CANDIDATE_ERASED, action=envelope["type"],
        application_id="" if whole else named["id"],
        candidate=Candidate(ats_id=named["id"], first_name="", last_name="", email=None)
        if whole else None,
        occurred_at=data["occurred_at"] or envelope["timestamp"])


def _event(kind: EventKind, envelope: dict, data: dict) -> Event:
    candidate, job, stage = data["candidate"], data["job"] or {}, data["stage"] or {}
    return Event(
        kind=kind,
        action=envelope["type"],
        application_id=data["application"]["id"],
        candidate=Candidate(
            ats_id=candidate["id"],
            first_name=(candidate["first_name"] or "").strip(),
            last_name=(candidate["last_name"] or "").strip(),
            email=usable_email(candidate["email"]),
            profile_url=data["application"]["url"],
        ),
        stage_id=stage.get("id"),
        stage_name=stage.get("name"),
        job_id=job.get("id"),
        job_title=job.get("title"),
        application_url=data["application"]["url"],
        occurred_at=data["occurred_at"] or envelope["timestamp"],
    )
