"""Marshmallow schemas for the parts of Greenhouse webhook payloads we read.

Payload reference: https://developers.greenhouse.io/webhooks.html#candidate-stage-change
Unknown keys are excluded: Greenhouse adds fields over time, and we read only what we need.
Text is bounded by what our columns hold (adapters.events); Greenhouse documents no lengths.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from adapters.events import MAX_NAME, MAX_TIME, MAX_TITLE, MAX_URL
from adapters.parsing import text

# Every id in the webhook docs' examples is a JSON integer ("id": 265772), and Harvest takes
# them back as integers. The docs state no range; we take what a signed 64-bit integer holds.
MAX_ID_VALUE = 2**63 - 1


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class IdField(fields.Field):
    """A Greenhouse id: a non-negative integer, or its digits; kept as a string like every ATS's."""

    default_error_messages = {"invalid": "Not a valid Greenhouse id (an integer)."}

    def _deserialize(self, value, attr, data, **kwargs):
        digits = value.strip() if isinstance(value, str) else ""
        if 0 < len(digits) <= 19 and digits.isascii() and digits.isdigit():
            value = int(digits)
        if isinstance(value, bool) or not isinstance(value, int) \
                or not 0 <= value <= MAX_ID_VALUE:
            raise self.make_error("invalid")
        return str(value)


class EmailAddressSchema(_Lenient):
    value = fields.String(required=True)
    type = fields.String(allow_none=True, load_default=None)


class CandidateSchema(_Lenient):
    id = IdField(required=True)
    first_name = text(MAX_NAME)
    last_name = text(MAX_NAME)
    url = text(MAX_URL, load_default=None)
    can_email = fields.Boolean(allow_none=True, load_default=None)
    email_addresses = fields.List(
        fields.Nested(EmailAddressSchema), allow_none=True, load_default=list)


class StageSchema(_Lenient):
    id = IdField(required=True)
    name = text(MAX_TITLE)


class JobSchema(_Lenient):
    id = IdField(required=True)
    name = text(MAX_TITLE)


class ApplicationSchema(_Lenient):
    id = IdField(required=True)
    url = text(MAX_URL, load_default=None)
    last_activity_at = text(MAX_TIME, load_default=None)
    current_stage = fields.Nested(StageSchema, allow_none=True, load_default=None)
    candidate = fields.Nested(CandidateSchema, required=True)
    jobs = fields.List(fields.Nested(JobSchema), allow_none=True, load_default=list)


class ApplicationPayloadSchema(_Lenient):
    application = fields.Nested(ApplicationSchema, required=True)


def read_envelope(data: object) -> dict | None:
    """What EnvelopeSchema loads from an envelope of the documented shape; None otherwise."""
    if type(data) is dict and type(data.get("action")) is str \
            and type(data.get("payload")) is dict:
        return {"action": data["action"], "payload": data["payload"]}
    return None


class _Off(Exception):
    """The payload leaves the documented shape: ApplicationPayloadSchema decides."""


def read_application(payload: dict) -> dict | None:
    """What ApplicationPayloadSchema loads from a payload of the documented shape, read directly;
    None for any other payload, which the schema then accepts or refuses with its reasons.

    Every candidate_stage_change, hire and rejection is read here, and the schema's per-field
    machinery was the largest part of reading one (bench/webhook_ack.py). Anything unusual
    (an id sent as digits, a boolean as a word, a missing candidate) goes to the schema, so
    both agree on every payload this accepts (tests/fuzz/test_greenhouse_reader.py).
    """
    try:
        application = _object(payload.get("application"))
        candidate = _object(application.get("candidate"))
        stage = application.get("current_stage")
        return {"application": {
            "id": _id(application), "url": _text(application, "url", MAX_URL, None),
            "last_activity_at": _text(application, "last_activity_at", MAX_TIME, None),
            "current_stage": None if stage is None else _named(_object(stage)),
            "candidate": {
                "id": _id(candidate), "url": _text(candidate, "url", MAX_URL, None),
                "first_name": _text(candidate, "first_name", MAX_NAME, ""),
                "last_name": _text(candidate, "last_name", MAX_NAME, ""),
                "can_email": _flag(candidate.get("can_email")),
                "email_addresses": _list(candidate, "email_addresses", _address)},
            "jobs": _list(application, "jobs", _named)}}
    except _Off:
        return None


def _object(value) -> dict:
    if type(value) is not dict:
        raise _Off
    return value


def _id(data: dict) -> str:
    value = data.get("id")
    if type(value) is not int or not 0 <= value <= MAX_ID_VALUE:
        raise _Off
    return str(value)


def _text(data: dict, key: str, maximum: int, absent: str | None) -> str | None:
    value = data.get(key, absent)
    if value is not None and (type(value) is not str or len(value) > maximum):
        raise _Off
    return value


def _flag(value) -> bool | None:
    if value is not None and type(value) is not bool:
        raise _Off
    return value


def _list(data: dict, key: str, read) -> list | None:
    values = data.get(key, [])
    if values is None:
        return None
    if type(values) is not list:
        raise _Off
    return [read(_object(value)) for value in values]


def _named(data: dict) -> dict:
    """A stage or a job: its id and name."""
    return {"id": _id(data), "name": _text(data, "name", MAX_TITLE, "")}


def _address(data: dict) -> dict:
    value, kind = data.get("value"), data.get("type")
    if type(value) is not str or (kind is not None and type(kind) is not str):
        raise _Off
    return {"value": value, "type": kind}


# Deletions and anonymisation (docs: source/includes/webhooks/_candidate_events.md, "Candidate
# deleted" and "Candidate anonymized"; _application_events.md, "Application deleted"): ids only
# are read, so no name from a deleted person's payload is ever kept.

class DeletedPersonSchema(_Lenient):
    id = IdField(required=True)
    deleted_application_ids = fields.List(IdField(), allow_none=True, load_default=list)


class DeleteCandidatePayloadSchema(_Lenient):
    person = fields.Nested(DeletedPersonSchema, required=True)


class AnonymizedPayloadSchema(_Lenient):
    candidate_id = IdField(required=True)


class DeletedApplicationSchema(_Lenient):
    id = IdField(required=True)


class DeleteApplicationPayloadSchema(_Lenient):
    application = fields.Nested(DeletedApplicationSchema, required=True)


class EnvelopeSchema(_Lenient):
    """Every Greenhouse webhook: {"action": ..., "payload": {...}}."""

    action = fields.String(required=True)
    payload = fields.Dict(required=True)


class GreenhouseOptions(Schema):
    """What the admin chooses of what goes back: the note's readers and the score's field."""

    class Meta:
        unknown = RAISE

    # Harvest's visibility values for a new note (read back as *_visible).
    note_visibility = fields.String(
        validate=validate.OneOf(["admin_only", "private", "public"]), load_default="admin_only",
        allow_none=True, metadata={"label": "Who may read the connector's notes",
                                   "description": "Greenhouse's note visibility."})
    # An application custom field (Enterprise accounts) named by its field key.
    custom_field = fields.String(
        validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,100}$", error=(
            "a field key is letters, digits, '_', '.' or '-' (at most 100)")),
        allow_none=True, load_default=None, metadata={
            "label": "Application custom field for the score (optional; its field key)",
            "description": "The Greenhouse field that receives the overall score."})
