"""Marshmallow schemas for the parts of Greenhouse webhook payloads we read.

Payload reference: https://developers.greenhouse.io/webhooks.html#candidate-stage-change
Unknown keys are excluded: Greenhouse adds fields over time, and we read only what we need.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class IdField(fields.Field):
    """Greenhouse ids are integers; we keep them as strings so every ATS looks alike."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str) or str(value).strip() == "":
            raise self.make_error("invalid")
        return str(value).strip()

    default_error_messages = {"invalid": "Not a valid id."}


class EmailAddressSchema(_Lenient):
    value = fields.String(required=True)
    type = fields.String(allow_none=True, load_default=None)


class CandidateSchema(_Lenient):
    id = IdField(required=True)
    first_name = fields.String(allow_none=True, load_default="")
    last_name = fields.String(allow_none=True, load_default="")
    url = fields.String(allow_none=True, load_default=None)
    can_email = fields.Boolean(allow_none=True, load_default=None)
    email_addresses = fields.List(
        fields.Nested(EmailAddressSchema), allow_none=True, load_default=list)


class StageSchema(_Lenient):
    id = IdField(required=True)
    name = fields.String(allow_none=True, load_default="")


class JobSchema(_Lenient):
    id = IdField(required=True)
    name = fields.String(allow_none=True, load_default="")


class ApplicationSchema(_Lenient):
    id = IdField(required=True)
    url = fields.String(allow_none=True, load_default=None)
    last_activity_at = fields.String(allow_none=True, load_default=None)
    current_stage = fields.Nested(StageSchema, allow_none=True, load_default=None)
    candidate = fields.Nested(CandidateSchema, required=True)
    jobs = fields.List(fields.Nested(JobSchema), allow_none=True, load_default=list)


class ApplicationPayloadSchema(_Lenient):
    application = fields.Nested(ApplicationSchema, required=True)


class EnvelopeSchema(_Lenient):
    """Every Greenhouse webhook: {"action": ..., "payload": {...}}."""

    action = fields.String(required=True)
    payload = fields.Dict(required=True)
