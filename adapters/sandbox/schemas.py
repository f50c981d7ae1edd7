"""Marshmallow schemas for Standard Webhooks payloads of a Kanban ATS (the sandbox's, or any alike).

Envelope: the shape https://www.standardwebhooks.com/ recommends, {"type", "timestamp", "data"}.
`data` is this contract's own: application, candidate, job, stage and when it happened.
Unknown keys are excluded, so an ATS may send more than we read.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class IdField(fields.Field):
    """An id sent as a string or an integer; kept as a non-empty string."""

    default_error_messages = {"invalid": "Not a valid id."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str) or str(value).strip() == "":
            raise self.make_error("invalid")
        return str(value).strip()


class ApplicationSchema(_Lenient):
    id = IdField(required=True)
    url = fields.String(allow_none=True, load_default=None)


class CandidateSchema(_Lenient):
    id = IdField(required=True)
    first_name = fields.String(allow_none=True, load_default="")
    last_name = fields.String(allow_none=True, load_default="")
    email = fields.String(allow_none=True, load_default=None)


class JobSchema(_Lenient):
    id = IdField(allow_none=True, load_default=None)
    title = fields.String(allow_none=True, load_default="")


class StageSchema(_Lenient):
    id = IdField(required=True)
    name = fields.String(allow_none=True, load_default="")


class DataSchema(_Lenient):
    application = fields.Nested(ApplicationSchema, required=True)
    candidate = fields.Nested(CandidateSchema, required=True)
    job = fields.Nested(JobSchema, allow_none=True, load_default=None)
    stage = fields.Nested(StageSchema, allow_none=True, load_default=None)
    occurred_at = fields.String(allow_none=True, load_default=None)


class EnvelopeSchema(_Lenient):
    """Every delivery: {"type": "application.stage_changed", "timestamp": ..., "data": {...}}."""

    type = fields.String(required=True)
    timestamp = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(required=True)
