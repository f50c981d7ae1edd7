"""Marshmallow schemas for Standard Webhooks payloads of a Kanban ATS (the sandbox's, or any alike).

Envelope: the shape https://www.standardwebhooks.com/ recommends, {"type", "timestamp", "data"}.
`data` is this contract's own: application, candidate, job, stage and when it happened.
Unknown keys are excluded, so an ATS may send more than we read. The contract sets the lengths
an ATS may send: ids up to 64 characters, names 100, titles 200 (adapters.events).
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from adapters.events import MAX_ID, MAX_NAME, MAX_TIME, MAX_TITLE, MAX_URL
from adapters.parsing import text


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class IdField(fields.Field):
    """An id sent as a string or an integer; kept as a non-empty string of at most MAX_ID."""

    default_error_messages = {"invalid": f"Not a valid id (1 to {MAX_ID} characters)."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**MAX_ID:
            value = str(value)
        if not isinstance(value, str) or not 0 < len(value.strip()) <= MAX_ID:
            raise self.make_error("invalid")
        return value.strip()


class ApplicationSchema(_Lenient):
    id = IdField(required=True)
    url = text(MAX_URL, load_default=None)


class CandidateSchema(_Lenient):
    id = IdField(required=True)
    first_name = text(MAX_NAME)
    last_name = text(MAX_NAME)
    email = fields.String(allow_none=True, load_default=None)  # unusable ones are dropped


class JobSchema(_Lenient):
    id = IdField(allow_none=True, load_default=None)
    title = text(MAX_TITLE)


class StageSchema(_Lenient):
    id = IdField(required=True)
    name = text(MAX_TITLE)


class DataSchema(_Lenient):
    application = fields.Nested(ApplicationSchema, required=True)
    candidate = fields.Nested(CandidateSchema, required=True)
    job = fields.Nested(JobSchema, allow_none=True, load_default=None)
    stage = fields.Nested(StageSchema, allow_none=True, load_default=None)
    occurred_at = text(MAX_TIME, load_default=None)


class _IdOnly(_Lenient):
    id = IdField(required=True)


class DeletedSchema(_Lenient):
    """candidate.deleted names the candidate, application.deleted the application: ids only."""

    application = fields.Nested(_IdOnly, allow_none=True, load_default=None)
    candidate = fields.Nested(_IdOnly, allow_none=True, load_default=None)
    occurred_at = text(MAX_TIME, load_default=None)


class EnvelopeSchema(_Lenient):
    """Every delivery: {"type": "application.stage_changed", "timestamp": ..., "data": {...}}."""

    type = fields.String(required=True)
    timestamp = text(MAX_TIME, load_default=None)
    data = fields.Dict(required=True)
