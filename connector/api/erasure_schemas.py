"""Schemas of /api/v1/erasures: a request naming one person, and the receipts kept."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from connector.api.schemas import Strict, _no_nul, _text
from connector.models import Actor, ErasureReason


class ErasureCreate(Strict):
    """Exactly one way of naming the person."""

    email = fields.Email(load_default=None, validate=[validate.Length(max=320), _no_nul], metadata={
        "description": "The candidate's e-mail address: every interview of theirs."})
    ats_candidate_id = _text(1, 64, load_default=None, metadata={
        "description": "The ATS's candidate id (with `installation`)."})
    installation = _text(1, 40, load_default=None, metadata={
        "description": "An installation id (inst_...), with `ats_candidate_id`."})
    interview = _text(1, 40, load_default=None, metadata={
        "description": "An interview's id (ses_...): its candidate, everywhere."})

    @validates_schema
    def one_way(self, data, **kwargs):
        given = [k for k in ("email", "ats_candidate_id", "interview") if data.get(k)]
        if len(given) != 1:
            raise ValidationError("give exactly one of email, ats_candidate_id, interview")
        if bool(data.get("ats_candidate_id")) != bool(data.get("installation")):
            raise ValidationError("ats_candidate_id and installation go together",
                                  "installation")


class Receipt(Schema):
    id = fields.String(required=True, attribute="public_id", metadata={"example": "era_..."})
    reason = fields.Enum(ErasureReason, by_value=True, required=True)
    actor = fields.Enum(Actor, by_value=True, required=True)
    actor_id = fields.String(required=True, metadata={
        "description": "Whose: a user's id, a token's prefix, an installation's id..."})
    requested_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True, required=True)
    interviews = fields.List(fields.String(), required=True, metadata={
        "description": "The erased interviews' new, anonymous ids."})
    erased = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "How many of each thing went (answers, files, e-mails...)."})


class ReceiptPage(Schema):
    data = fields.List(fields.Nested(Receipt), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
