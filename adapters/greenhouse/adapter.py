"""Greenhouse: signed webhooks in; notes, a score field and stage moves out.

Webhooks: https://developers.greenhouse.io/webhooks.html
Harvest API: https://harvestdocs.greenhouse.io/ (v3; v1 and v2 were retired on 2026-08-31)
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping

from adapters.contract import Adapter, Position
from adapters.errors import Invalid, SignatureError
from adapters.events import (
    RECOMMENDATION_WORDS, Candidate, Event, EventKind, Outcome, Verdict, usable_email,
)
from adapters.greenhouse.client import NOTE_VISIBILITY, GreenhouseClient, credential_problems
from adapters.greenhouse.schemas import (
    AnonymizedPayloadSchema, ApplicationPayloadSchema, DeleteApplicationPayloadSchema,
    DeleteCandidatePayloadSchema, EnvelopeSchema, read_application, read_envelope,
)
from adapters.parsing import decode, load, load_object
from adapters.signing import hmac_sha256_hex, same

# "Signature: sha256 37d27..." - the algorithm, one space, the hex HMAC of the whole raw body.
SIGNATURE_HEADER = "Signature"
EVENT_ID_HEADER = "Greenhouse-Event-ID"
_SIGNATURE = re.compile(r"^(?P<algorithm>[a-z0-9]+) (?P<digest>[0-9a-fA-F]+)$")
_EVENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

PING = "ping"  # sent when a web hook is saved; its shape is not documented
_ENVELOPE = EnvelopeSchema()  # schemas are stateless once built: build them once
_APPLICATION = ApplicationPayloadSchema()
_DELETE_CANDIDATE = DeleteCandidatePayloadSchema()
_ANONYMIZED = AnonymizedPayloadSchema()
_DELETE_APPLICATION = DeleteApplicationPayloadSchema()


class GreenhouseAdapter(Adapter):
    events = {
        "candidate_stage_change": EventKind.STAGE_CHANGED,
        "reject_candidate": EventKind.APPLICATION_CLOSED,
        "hire_candidate": EventKind.APPLICATION_CLOSED,
        # https://developers.greenhouse.io/webhooks.html#candidate-deleted, #candidate-anonymized
        # and #application-deleted: the ATS's own erasure, which ours follows.
        "delete_candidate": EventKind.CANDIDATE_ERASED,
        "candidate_anonymized": EventKind.CANDIDATE_ERASED,
        "delete_application": EventKind.CANDIDATE_ERASED,
    }
    kept_headers = (EVENT_ID_HEADER,)
    _client: GreenhouseClient | None = None

    # Inbound ---------------------------------------------------------------------------------

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

    def read(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, Event | None]:
        """The action, and an Event for the actions we act on (ping and the rest give None)."""
        envelope = read_envelope(decode(body)) or load_object(
            body, _ENVELOPE, "a Greenhouse webhook")
        action = envelope["action"]
        kind = self.events.get(action)
        if kind is None:
            return action, None
        if kind is EventKind.CANDIDATE_ERASED:
            return action, _erasure(action, envelope["payload"])
        payload = read_application(envelope["payload"]) or load(
            _APPLICATION, envelope["payload"], "a Greenhouse application payload")
        return action, _event(kind, action, payload["application"])

    @classmethod
    def sign(cls, body: bytes, secret: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: f"sha256 {hmac_sha256_hex(secret, body)}",
        }

    @classmethod
    def check_credentials(cls, credentials: Mapping[str, str]) -> list[str]:
        return credential_problems(credentials)

    @classmethod
    def sample(cls, template: dict, token: str) -> tuple[bytes, dict[str, str]]:
        """sample.json, active now, with a Greenhouse-Event-ID of its own."""
        application = template["payload"]["application"]
        application["last_activity_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return json.dumps(template).encode(), {EVENT_ID_HEADER: f"connector-test-{token}"}

    # Outbound primitives ---------------------------------------------------------------------

    def create_note(self, outcome: Outcome) -> str | None:
        return self.client().create_note(outcome.candidate_id, outcome.text, self._visibility())

    def find_note(self, outcome: Outcome) -> str | None:
        return self.client().find_note(outcome.candidate_id, outcome.marker)

    def set_result(self, outcome: Outcome) -> None:
        """Fill the application custom field the admin named, if any."""
        field = self.connection.options.get("custom_field")
        if outcome.result is not None and field:
            self.client().set_application_field(outcome.application_id, field,
                                                score_field_value(outcome.result))

    def current_stage(self, application_id: str) -> Position | None:
        found = self.client().current_stage(application_id)
        return None if found is None else Position(stage_id=found[0], job_id=found[1])

    def stage_for(self, position: Position, wanted: str) -> str:
        """A stage id as given, or the id of the stage by that name in the application's job.

        Greenhouse stage ids belong to one job each, so an admin who wants "Interview" in every
        job names the stage; the id is looked up in the application's job.
        """
        if wanted.isdigit():
            return wanted
        for stage in self.client().job_interview_stages(job_id=position.job_id):
            if str(stage.get("job_id")) == position.job_id and \
                    str(stage.get("name") or "").strip().casefold() == wanted.strip().casefold():
                return str(stage["id"])
        raise Invalid(f"no stage named {wanted!r} in the application's job")

    def move(self, application_id: str, from_stage: str, to_stage: str) -> None:
        self.client().move_application(application_id, from_stage, to_stage)

    # For the install wizard --------------------------------------------------------------------

    def check_connection(self) -> None:
        """A token, then reads only a Site Admin can make: wrong credentials or scopes raise."""
        self.client().check_access()

    def list_stages(self) -> list[tuple[str, str]] | None:
        """The active interview stages of every job, in plan order, as (id, name)."""
        stages = [s for s in self.client().job_interview_stages()
                  if s.get("id") is not None and s.get("active", True) is not False]
        stages.sort(key=lambda s: (s.get("sort_order") or 0, str(s.get("name") or "")))
        return [(str(s["id"]), str(s.get("name") or s["id"]).strip()) for s in stages]

    def _visibility(self) -> str:
        return self.connection.options.get("note_visibility") or NOTE_VISIBILITY

    def client(self) -> GreenhouseClient:
        """One client per adapter: its token and connection pool serve every call of a push."""
        if self._client is None:
            self._client = GreenhouseClient.from_credentials(
                self.connection.credentials, self.connection.api_base_url,
                strict_hosts=self.connection.strict_hosts,
                extra_hosts=self.connection.extra_hosts,
                token_cache=self.tools.token_cache, on_rate_limit=self.tools.on_rate_limit)
        return self._client

def score_field_value(result: Verdict) -> str:
    """The score as a short-text custom field shows it: '4.3 / 5, Strong yes (2 reviewers)'."""
    parts = ["not rated" if result.overall is None else f"{result.overall:.1f} / 5"]
    if result.recommendation:
        parts.append(RECOMMENDATION_WORDS.get(result.recommendation, result.recommendation))
    count = len(result.reviewers)
    return ", ".join(parts) + f" ({count} reviewer{'s' if count != 1 else ''})"


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


def _erasure(action: str, payload: dict) -> Event:
    """An erasure event, ids only: whom Greenhouse deleted or anonymised."""
    if action == "candidate_anonymized":  # every application of the candidate
        found = load(_ANONYMIZED, payload, "a Greenhouse anonymize payload")
        return Event(kind=EventKind.CANDIDATE_ERASED, action=action, application_id="",
                     candidate=Candidate(ats_id=found["candidate_id"], first_name="",
                                         last_name="", email=None))
    if action == "delete_application":
        found = load(_DELETE_APPLICATION, payload, "a Greenhouse application payload")
        return Event(kind=EventKind.CANDIDATE_ERASED, action=action,
                     application_id=found["application"]["id"], candidate=None)
    # A merge fires delete_candidate too, its applications moved to the surviving candidate
    # and left out of deleted_application_ids: only the applications listed are erased.
    person = load(_DELETE_CANDIDATE, payload, "a Greenhouse candidate payload")["person"]
    return Event(kind=EventKind.CANDIDATE_ERASED, action=action, application_id="",
                 candidate=None, application_ids=tuple(person["deleted_application_ids"] or ()))


def _email(candidate: dict) -> str | None:
    """The first usable address; none when Greenhouse says the candidate may not be e-mailed."""
    if candidate.get("can_email") is False:
        return None
    for address in candidate["email_addresses"] or []:
        value = usable_email(address.get("value"))
        if value:
            return value
    return None
