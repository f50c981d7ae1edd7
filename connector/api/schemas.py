"""Marshmallow schemas of /api/v1: what the views load and dump, and what OpenAPI publishes."""

from __future__ import annotations

import base64
import binascii

from marshmallow import (
    INCLUDE, RAISE, Schema, ValidationError, fields, post_dump, validate, validates_schema,
)

from connector.models import AnswerKind, AnswerStatus, OutboxStatus, InterviewState
from connector.models import Recommendation

MAX_PAGE = 100
RECOMMENDATIONS = [r.value for r in Recommendation]
HTTPS_URL = validate.URL(schemes={"https"}, error="must be an https:// URL")


class Strict(Schema):
    """Input schemas refuse fields they do not know, so a typo is not silently ignored."""

    class Meta:
        unknown = RAISE


def _no_nul(value: str) -> None:
    """PostgreSQL text holds no NUL, and a query comparing with one fails: refuse it as input.

    A plain function, not a Regexp: the published document keeps its types and lengths only.
    """
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters")


def _text(low: int, high: int, **kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(low, high), _no_nul], **kwargs)


def _int(low: int, high: int, **kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(low, high), **kwargs)


# Errors -----------------------------------------------------------------------------------

class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True)
    details = fields.Dict(required=True, metadata={
        "description": "More about the error; for invalid fields, `fields` maps each to its "
                       "messages."})


class Error(Schema):
    error = fields.Nested(ErrorBody, required=True)


# Pagination -------------------------------------------------------------------------------

class Cursor(fields.String):
    """An opaque position in a list (the last id seen), as handed out in `next_cursor`."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            number = int(base64.urlsafe_b64decode(text.encode() + b"=" * (-len(text) % 4)))
        except (ValueError, binascii.Error) as exc:
            raise ValidationError("not a cursor this API handed out") from exc
        if number < 1:
            raise ValidationError("not a cursor this API handed out")
        return number


def cursor_of(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


class PageQuery(Strict):
    # Not strict: a query string's numbers arrive as text.
    limit = fields.Integer(validate=validate.Range(1, MAX_PAGE), load_default=50)
    cursor = Cursor(load_default=None, metadata={
        "description": "`next_cursor` of the previous page."})


# Installations ----------------------------------------------------------------------------

class TriggerStage(Schema):
    stage = fields.String(required=True)
    template_id = fields.Integer(allow_none=True, required=True)


class InstallationOptions(Schema):
    """The connector's own options; any other key is the ATS's, checked by its manifest's schema
    (e.g. Greenhouse's `note_visibility` and `custom_field`: see GET /installations/{id})."""

    class Meta:
        unknown = INCLUDE

    decision_stages = fields.Dict(
        keys=fields.String(validate=validate.OneOf(RECOMMENDATIONS)),
        values=_text(1, 200), allow_none=True, metadata={
            "description": "The ATS stage id an application moves to, per recommendation."})
    decision_after = _int(1, 50, allow_none=True, metadata={
        "description": "Submitted scorecards needed before a decision moves the application."})
    share_can_score = fields.Boolean(allow_none=True, metadata={
        "description": "Ignored, and kept so older clients are not refused: a link in an ATS "
                       "note only ever watches; scoring needs a user or a reviewer invitation."})

    @post_dump(pass_original=True)
    def _with_the_ats_options(self, data, original, **kwargs):
        """The ATS's options too, which dump alone would drop: the caller passes only those."""
        return {**{k: v for k, v in original.items() if k not in self.fields}, **data}


class Installation(Schema):
    id = fields.String(required=True, metadata={"example": "inst_3q2Xz..."})
    name = fields.String(required=True)
    ats = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "needs_attention"]))
    attention_reason = fields.String(allow_none=True, required=True)
    webhook_url = fields.String(required=True)
    trigger_stages = fields.List(fields.Nested(TriggerStage), required=True)
    options = fields.Nested(InstallationOptions, required=True)
    created_at = fields.DateTime(required=True)


class InstallationPage(Schema):
    data = fields.List(fields.Nested(Installation), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


# Templates --------------------------------------------------------------------------------

class QuestionIn(Strict):
    prompt = _text(1, 2000, required=True)
    prep_seconds = _int(0, 600, load_default=30)
    answer_seconds = _int(10, 1800, load_default=120)
    retakes = _int(0, 10, load_default=1)
    kind = fields.Enum(AnswerKind, by_value=True, load_default=AnswerKind.VIDEO)
    max_characters = _int(1, 20000, load_default=None, allow_none=True, metadata={
        "description": "For a text answer only."})
    is_practice = fields.Boolean(load_default=False, metadata={
        "description": "Only the first question may be a practice question; it is never kept."})

    @validates_schema
    def _characters_for_text(self, data, **kwargs):
        if data.get("max_characters") is not None and data.get("kind") is not AnswerKind.TEXT:
            raise ValidationError("only a text answer has a character limit", "max_characters")


class Question(Schema):
    position = fields.Integer(required=True)
    prompt = fields.String(required=True)
    prep_seconds = fields.Integer(required=True)
    answer_seconds = fields.Integer(required=True)
    retakes = fields.Integer(required=True)
    kind = fields.Enum(AnswerKind, by_value=True, required=True, attribute="answer_kind")
    max_characters = fields.Integer(allow_none=True, required=True)
    is_practice = fields.Boolean(required=True)


class Competency(Strict):
    name = _text(1, 200, required=True)
    anchors = fields.List(_text(1, 500), required=True, validate=validate.Length(5, 5), metadata={
        "description": "What a rating of 1, 2, 3, 4 and 5 means, in that order."})


class TemplateIn(Strict):
    name = _text(1, 200, required=True)
    questions = fields.List(fields.Nested(QuestionIn), required=True,
                            validate=validate.Length(1, 50))
    rubric = fields.List(fields.Nested(Competency), load_default=list,
                         validate=validate.Length(0, 20))
    deadline_hours = _int(1, 24 * 365, load_default=72)
    reminder_hours = _int(0, 24 * 365, load_default=24, metadata={
        "description": "Hours before the deadline the reminder goes out; 0 sends none."})
    welcome_text = _text(0, 5000, load_default="")
    welcome_video_url = fields.String(validate=[validate.Length(max=500), HTTPS_URL],
                                      load_default=None, allow_none=True)
    logo_url = fields.String(validate=[validate.Length(max=500), HTTPS_URL],
                             load_default=None, allow_none=True)
    brand_color = fields.String(validate=validate.Regexp(r"^#[0-9A-Fa-f]{6}$"),
                                load_default=None, allow_none=True,
                                metadata={"example": "#1F6FEB"})
    consent_text = _text(1, 20000, load_default=None, allow_none=True)
    consent_version = _text(1, 50, load_default=None, allow_none=True)

    @validates_schema
    def _consistent(self, data, **kwargs):
        questions = data.get("questions") or []
        problems = {}
        if any(q["is_practice"] for q in questions[1:]):
            problems["questions"] = ["only the first question may be a practice question"]
        elif questions and all(q["is_practice"] for q in questions):
            problems["questions"] = ["a template needs a question that is not practice"]
        deadline, reminder = data.get("deadline_hours"), data.get("reminder_hours")
        if deadline is not None and reminder is not None and reminder >= deadline:
            problems["reminder_hours"] = ["the reminder must come before the deadline"]
        if (data.get("consent_text") is None) != (data.get("consent_version") is None):
            problems["consent_version"] = ["give consent text and its version together"]
        if problems:
            raise ValidationError(problems)


class Template(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    is_builtin = fields.Boolean(required=True, metadata={
        "description": "The built-in default: readable by all, editable by none."})
    questions = fields.List(fields.Nested(Question), required=True)
    rubric = fields.List(fields.Nested(Competency), required=True)
    deadline_hours = fields.Integer(required=True)
    reminder_hours = fields.Integer(required=True)
    welcome_text = fields.String(required=True)
    welcome_video_url = fields.String(allow_none=True, required=True)
    logo_url = fields.String(allow_none=True, required=True)
    brand_color = fields.String(allow_none=True, required=True)
    consent_text = fields.String(allow_none=True, required=True)
    consent_version = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class TemplatePage(Schema):
    data = fields.List(fields.Nested(Template), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


# Sessions ---------------------------------------------------------------------------------

class SessionQuery(PageQuery):
    state = fields.Enum(InterviewState, by_value=True, load_default=None)
    installation = _text(1, 40, load_default=None, metadata={
        "description": "An installation id (inst_...)."})
    created_after = fields.AwareDateTime(default_timezone=None, load_default=None)
    created_before = fields.AwareDateTime(default_timezone=None, load_default=None)


class PlannedQuestion(Schema):
    position = fields.Integer(required=True)
    prompt = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in AnswerKind]))
    prep_seconds = fields.Integer(required=True)
    answer_seconds = fields.Integer(required=True)
    retakes = fields.Integer(required=True)
    max_characters = fields.Integer(allow_none=True, required=True)
    is_practice = fields.Boolean(required=True)


class AnswerInfo(Schema):
    position = fields.Integer(required=True)
    kind = fields.Enum(AnswerKind, by_value=True, required=True)
    status = fields.Enum(AnswerStatus, by_value=True, required=True)
    take = fields.Integer(required=True)
    size_bytes = fields.Integer(required=True)
    duration_ms = fields.Integer(allow_none=True, required=True)
    text = fields.String(allow_none=True, required=True, metadata={
        "description": "A written answer's text; recordings are watched on the review page."})
    submitted_at = fields.DateTime(allow_none=True, required=True)


class SessionSummary(Schema):
    id = fields.String(required=True, attribute="public_id", metadata={"example": "ses_..."})
    state = fields.Enum(InterviewState, by_value=True, required=True)
    installation_id = fields.Function(lambda s: s.installation.public_id, required=True,
                                      metadata={"type": "string"})
    candidate_name = fields.String(required=True)
    candidate_email = fields.String(required=True)
    job_title = fields.String(required=True)
    ats_application_id = fields.String(required=True)
    ats_candidate_id = fields.String(required=True)
    template_id = fields.Integer(required=True)
    template_version = fields.Integer(required=True)
    deadline_at = fields.DateTime(required=True)
    started_at = fields.DateTime(allow_none=True, required=True)
    completed_at = fields.DateTime(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class SessionDetail(SessionSummary):
    questions = fields.List(fields.Nested(PlannedQuestion), attribute="plan", required=True,
                            metadata={"description": "The questions as pinned at creation."})
    answers = fields.List(fields.Nested(AnswerInfo), required=True)
    consented_at = fields.DateTime(allow_none=True, required=True)
    consent_version = fields.String(allow_none=True, required=True)
    reminded_at = fields.DateTime(allow_none=True, required=True)
    time_factor = fields.Float(required=True)
    extra_retakes = fields.Integer(required=True)


class SessionPage(Schema):
    data = fields.List(fields.Nested(SessionSummary), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class SessionCreate(Strict):
    installation_id = _text(1, 40, required=True)
    candidate_name = _text(1, 300, required=True)
    candidate_email = fields.Email(required=True, validate=validate.Length(max=320))
    job_title = _text(0, 300, load_default="")
    ats_application_id = _text(1, 100, required=True)
    ats_candidate_id = _text(1, 100, required=True)
    template_id = _int(1, 2**31 - 1, load_default=None, allow_none=True, metadata={
        "description": "Without it: the template of the installation's first trigger stage."})


class Extend(Strict):
    hours = _int(1, 24 * 365, required=True, metadata={
        "description": "Added to the deadline, or to now if it has passed."})


# Pushes -----------------------------------------------------------------------------------

class PushQuery(PageQuery):
    status = fields.Enum(OutboxStatus, by_value=True, load_default=None)
    installation = _text(1, 40, load_default=None)


class Push(Schema):
    id = fields.Integer(required=True)
    installation_id = fields.String(required=True)
    session_id = fields.String(allow_none=True, required=True)
    kind = fields.String(required=True)
    status = fields.Enum(OutboxStatus, by_value=True, required=True)
    attempts = fields.Integer(required=True)
    last_error = fields.String(allow_none=True, required=True)
    next_attempt_at = fields.DateTime(allow_none=True, required=True)
    external_id = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    delivered_at = fields.DateTime(allow_none=True, required=True)


class PushPage(Schema):
    data = fields.List(fields.Nested(Push), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
