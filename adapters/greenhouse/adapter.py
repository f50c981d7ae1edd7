"""Greenhouse: signed webhooks in, notes on the candidate's profile out.

Webhooks: https://developers.greenhouse.io/webhooks.html
Harvest API: https://harvestdocs.greenhouse.io/ (v3; v1 and v2 were retired on 2026-08-31)
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from adapters.base import (
    RECOMMENDATION_WORDS, Adapter, Candidate, Event, EventKind, Outcome, Receipt, Result,
    usable_email,
)
from adapters.greenhouse.client import (
    ALLOWED_HOSTS, NOTE_VISIBILITY, GreenhouseClient, credential_problems,
)
from adapters.http import Invalid
from adapters.greenhouse.schemas import ApplicationPayloadSchema, EnvelopeSchema
from webhooks.errors import SignatureError
from webhooks.parsing import load, load_object
from webhooks.signing import hmac_sha256_hex, same

# "Signature: sha256 37d27..." - the algorithm, one space, the hex HMAC of the whole raw body.
SIGNATURE_HEADER = "Signature"
EVENT_ID_HEADER = "Greenhouse-Event-ID"
_SIGNATURE = re.compile(r"^(?P<algorithm>[a-z0-9]+) (?P<digest>[0-9a-fA-F]+)$")
_EVENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

NOTE_VISIBILITIES = ("admin_only", "private", "public")  # Harvest's note visibility values
PING = "ping"  # sent when a web hook is saved; its shape is not documented
_ENVELOPE = EnvelopeSchema()  # schemas are stateless once built: build them once
_APPLICATION = ApplicationPayloadSchema()


class GreenhouseAdapter(Adapter):
    key = "greenhouse"
    name = "Greenhouse"
    events = {
        "candidate_stage_change": EventKind.STAGE_CHANGED,
        "reject_candidate": EventKind.APPLICATION_CLOSED,
        "hire_candidate": EventKind.APPLICATION_CLOSED,
    }
    credential_keys = ("api_key", "client_id", "client_secret", "user_id", "token_url")
    allowed_hosts = ALLOWED_HOSTS
    # 50 requests per 10 seconds per API key unless Greenhouse changed it for the account: the
    # default until an answer's X-RateLimit-Limit says otherwise; X-RateLimit-Remaining says
    # what is left, a 429's Retry-After when to come back
    # (https://harvestdocs.greenhouse.io/docs/api-rate-limiting).
    rate_limit = (50, 10)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Check the Signature header against an HMAC-SHA256 of the raw body."""
        if not self.connection.webhook_secret:
            raise SignatureError("no webhook secret is set", "missing_secret")
        header = headers.get(SIGNATURE_HEADER)
        if not header:
            raise SignatureError("the Signature header is missing", "missing_signature")
        match = _SIGNATURE.match(header.strip())
        if match is None:
            raise SignatureError("the Signature header is malformed", "malformed_signature")
        if match["algorithm"] != "sha256":
            raise SignatureError("only sha256 signatures are accepted", "unsupported_algorithm")
        expected = hmac_sha256_hex(self.connection.webhook_secret, body)
        if not same(expected, match["digest"].lower()):
            raise SignatureError("the signature does not match the body", "bad_signature")

    def delivery_id(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Greenhouse-Event-ID is unique per delivery; fall back to a body hash without it."""
        event_id = (headers.get(EVENT_ID_HEADER) or "").strip()
        if _EVENT_ID.match(event_id):
            return f"greenhouse:{event_id}"
        return super().delivery_id(body, headers)

    def action(self, body: bytes, headers: Mapping[str, str]) -> str:
        return _envelope(body)["action"]

    def parse(self, body: bytes, headers: Mapping[str, str]) -> Event | None:
        """Turn a delivery into an Event; ping and actions we do not act on give None."""
        return self.read(body, headers)[1]

    def read(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, Event | None]:
        envelope = _envelope(body)
        action = envelope["action"]
        kind = self.events.get(action)
        if kind is None:
            return action, None
        payload = load(_APPLICATION, envelope["payload"], "a Greenhouse application payload")
        return action, _event(kind, action, payload["application"])

    def push(self, outcome: Outcome, *, first_attempt: bool = True) -> Receipt:
        """Write the outcome: a note (once), the score field if configured, or a stage move."""
        client = self.client()
        if outcome.kind == "move":
            return Receipt(self._move(client, outcome))
        note_id = None
        if not first_attempt:
            # An earlier attempt may have reached Greenhouse before failing; Harvest has no
            # idempotency keys, so look for our marker before writing again.
            note_id = client.find_note(outcome.candidate_id, outcome.marker)
        if note_id is None:
            note_id = client.create_note(outcome.candidate_id, outcome.text, self._visibility())
        field = self.connection.options.get("custom_field")
        if outcome.result is not None and field:
            # Setting a field twice to the same value is harmless, so a retry just sets it.
            client.set_application_field(outcome.application_id, field,
                                         score_field_value(outcome.result))
        return Receipt(note_id)

    def _move(self, client: GreenhouseClient, outcome: Outcome) -> str | None:
        """Move the application unless it is already there (a retry after a lost answer)."""
        application = client.application(outcome.application_id)
        current = (application.get("current_stage") or {}).get("id")
        target = _stage_in_job(client, application, outcome.move_to_stage or "")
        if current is None or str(current) == target:
            return target
        client.move_application(outcome.application_id, str(current), target)
        return target

    def _visibility(self) -> str:
        visibility = self.connection.options.get("note_visibility")
        return visibility if visibility in NOTE_VISIBILITIES else NOTE_VISIBILITY

    def client(self) -> GreenhouseClient:
        return GreenhouseClient.from_credentials(
            self.connection.credentials, self.connection.api_base_url,
            strict_hosts=self.connection.strict_hosts, token_cache=self.token_cache,
            on_rate_limit=self.on_rate_limit)

    @classmethod
    def check_credentials(cls, credentials: Mapping[str, str]) -> list[str]:
        return credential_problems(credentials)

    @classmethod
    def sign(cls, body: bytes, secret: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: f"sha256 {hmac_sha256_hex(secret, body)}",
        }

    # Who may read a note, offered to the admin as the adapter's choices.
    note_visibilities = NOTE_VISIBILITIES

    def check_connection(self) -> None:
        """Fetch a token and list one note: wrong credentials or a missing scope raise."""
        self.client().check_access()

    def list_stages(self) -> list[tuple[str, str]] | None:
        """The active interview stages of every job, in plan order, as (id, name)."""
        stages = [s for s in self.client().job_interview_stages()
                  if s.get("id") is not None and s.get("active", True) is not False]
        stages.sort(key=lambda s: (s.get("sort_order") or 0, str(s.get("name") or "")))
        return [(str(s["id"]), str(s.get("name") or s["id"]).strip()) for s in stages]


def _stage_in_job(client: GreenhouseClient, application: dict, stage: str) -> str:
    """A stage id as given, or the id of the stage by that name in the application's job.

    Greenhouse stage ids belong to one job each, so an admin who wants "Interview" in every
    job names the stage; the id is looked up per application.
    """
    if stage.isdigit():
        return stage
    jobs = {str(job.get("id")) for job in application.get("jobs") or []}
    for candidate in client.job_interview_stages():
        if str(candidate.get("job_id")) in jobs and \
                str(candidate.get("name") or "").strip().casefold() == stage.strip().casefold():
            return str(candidate["id"])
    raise Invalid(f"no stage named {stage!r} in the application's job")


def score_field_value(result: Result) -> str:
    """The score as a short-text custom field shows it: '4.3 / 5, Strong yes (2 reviewers)'."""
    parts = ["not rated" if result.overall is None else f"{result.overall:.1f} / 5"]
    if result.recommendation:
        parts.append(RECOMMENDATION_WORDS.get(result.recommendation, result.recommendation))
    count = len(result.reviewers)
    return ", ".join(parts) + f" ({count} reviewer{'s' if count != 1 else ''})"


def _envelope(body: bytes) -> dict:
    """The {"action", "payload"} wrapper of every Greenhouse webhook."""
    return load_object(body, _ENVELOPE, "a Greenhouse webhook")


def _event(kind: EventKind, action: str, application: dict) -> Event:
    candidate = application["candidate"]
    stage = application["current_stage"] or {}
    job = (application["jobs"] or [{}])[0]
    return Event(
        kind=kind,
        action=action,
        application_id=application["id"],
        candidate=Candidate(
            ats_id=candidate["id"],
            first_name=(candidate["first_name"] or "").strip(),
            last_name=(candidate["last_name"] or "").strip(),
            email=_email(candidate),
            profile_url=candidate["url"],
        ),
        stage_id=stage.get("id"),
        stage_name=stage.get("name"),
        job_id=job.get("id"),
        job_title=job.get("name"),
        application_url=application["url"],
        occurred_at=application["last_activity_at"],
    )


def _email(candidate: dict) -> str | None:
    """The first usable address; none when Greenhouse says the candidate may not be e-mailed."""
    if candidate.get("can_email") is False:
        return None
    for address in candidate["email_addresses"] or []:
        value = usable_email(address.get("value"))
        if value:
            return value
    return None
