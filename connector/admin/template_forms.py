"""The template editor's form: flat HTML fields to nested rows, validated with marshmallow.

The editor is a plain HTML form that works without JavaScript. Questions and competencies are
numbered rows (`questions-3-prompt`, `rubric-1-anchor-5`); each row carries an order number and
a remove box, so adding, removing and reordering are ordinary form submissions.
"""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, post_load, validates_schema
from marshmallow.validate import Length, OneOf, Range, Regexp

ANSWER_KINDS = ("video", "audio", "text")
LEVELS = 5  # each competency is rated 1 to 5, with one written anchor per level
MAX_QUESTIONS = 20
MAX_COMPETENCIES = 12
PREP_SECONDS = (0, 300)
ANSWER_SECONDS = (10, 1800)
RECORDED_MAX_SECONDS = 600  # a recorded answer's upload cap grows with its time limit
DEADLINE_HOURS = (24, 336)
RETENTION_DAYS = (30, 730)  # as the organization's own period (admin/privacy_settings.py)
SCALARS = ("name", "deadline_hours", "reminder_hours", "welcome_text", "welcome_video_url",
           "logo_url", "brand_color", "consent_text", "consent_version", "retention_days")
QUESTION_FIELDS = ("prompt", "prep_seconds", "answer_seconds", "retakes", "answer_kind",
                   "max_characters")
ROW_KEY = re.compile(r"^(questions|rubric)-(\d{1,2})-([a-z_]+(?:-[1-9])?)$")
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}\Z")


def _needs(message: str) -> dict:
    return {"required": message, "null": message}


def _whole(low: int, high: int, unit: str, message: str) -> fields.Integer:
    return fields.Integer(
        required=True, strict=False,
        validate=Range(low, high, error=f"Between {low} and {high} {unit}."),
        error_messages={**_needs(message), "invalid": f"Enter a whole number of {unit}."})


def _https_url() -> fields.Url:
    # Candidate pages allow images and video only from https: (their Content-Security-Policy),
    # so a plain http: address would never show; anything else (javascript:, data:) is refused.
    return fields.Url(schemes={"https"}, allow_none=True, load_default=None,
                      validate=Length(max=500, error="At most 500 characters."),
                      error_messages={"invalid": "Enter a full https:// address."})


class QuestionSchema(Schema):
    prompt = fields.String(required=True,
                           validate=Length(max=2000, error="At most 2000 characters."),
                           error_messages=_needs("Write the question."))
    prep_seconds = _whole(*PREP_SECONDS, "seconds", "Enter the seconds to prepare.")
    answer_seconds = _whole(*ANSWER_SECONDS, "seconds", "Enter the seconds to answer.")
    retakes = _whole(0, 10, "retakes", "Enter the number of retakes.")
    answer_kind = fields.String(
        required=True, validate=OneOf(ANSWER_KINDS, error="Choose video, audio or text."),
        error_messages=_needs("Choose video, audio or text."))
    max_characters = fields.Integer(
        allow_none=True, load_default=None, strict=False,
        validate=Range(1, 20000, error="Between 1 and 20000 characters."),
        error_messages={"invalid": "Enter a whole number of characters."})
    is_practice = fields.Boolean(load_default=False)

    @validates_schema(skip_on_field_errors=False)
    def _fits_its_kind(self, data, **kwargs):
        kind = data.get("answer_kind")
        if kind == "text" and "max_characters" in data and data["max_characters"] is None:
            raise ValidationError("A written answer needs a maximum number of characters.",
                                  "max_characters")
        if kind in ("video", "audio") and data.get("answer_seconds", 0) > RECORDED_MAX_SECONDS:
            raise ValidationError(f"A recorded answer lasts at most {RECORDED_MAX_SECONDS} "
                                  "seconds.", "answer_seconds")
        if kind == "text" and data.get("is_practice"):
            raise ValidationError("The practice question is recorded: choose video or audio.",
                                  "answer_kind")

    @post_load
    def _drop_unused_limit(self, data, **kwargs):
        if data["answer_kind"] != "text":
            data["max_characters"] = None
        return data


class CompetencySchema(Schema):
    name = fields.String(required=True, validate=Length(max=200, error="At most 200 characters."),
                         error_messages=_needs("Name the competency."))
    anchors = fields.List(
        fields.String(validate=Length(min=1, max=1000,
                                      error="Describe this level (up to 1000 characters).")),
        required=True,
        validate=Length(equal=LEVELS, error=f"Write exactly {LEVELS} anchors, one per level."),
        error_messages=_needs(f"Write exactly {LEVELS} anchors, one per level."))


class TemplateSchema(Schema):
    name = fields.String(required=True, validate=Length(max=200, error="At most 200 characters."),
                         error_messages=_needs("Name the template."))
    deadline_hours = _whole(*DEADLINE_HOURS, "hours", "Enter the hours the candidate has.")
    reminder_hours = _whole(0, DEADLINE_HOURS[1], "hours", "Enter the reminder's hours (0: none).")
    welcome_text = fields.String(load_default="",
                                 validate=Length(max=5000, error="At most 5000 characters."))
    welcome_video_url = _https_url()
    logo_url = _https_url()
    brand_color = fields.String(allow_none=True, load_default=None, validate=Regexp(
        HEX_COLOR, error="Enter a colour as # and six hexadecimal digits, like #1f4fd1."))
    consent_text = fields.String(allow_none=True, load_default=None,
                                 validate=Length(max=10000, error="At most 10000 characters."))
    consent_version = fields.String(allow_none=True, load_default=None,
                                    validate=Length(max=50, error="At most 50 characters."))
    retention_days = fields.Integer(
        allow_none=True, load_default=None, strict=False,
        validate=Range(*RETENTION_DAYS, error=f"Between {RETENTION_DAYS[0]} and "
                       f"{RETENTION_DAYS[1]} days, or leave it empty for the organization's."),
        error_messages={"invalid": "Enter a whole number of days."})
    questions = fields.List(fields.Nested(QuestionSchema), load_default=list)
    rubric = fields.List(fields.Nested(CompetencySchema), load_default=list)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _sets(self, data, original, **kwargs):
        """Checks across rows, on the submitted rows, so one bad row does not hide them."""
        errors = {}
        questions = original.get("questions", [])
        practice = [q.get("is_practice") for q in questions]
        if not 1 <= practice.count(False) <= MAX_QUESTIONS:
            errors["question_set"] = [f"Ask between 1 and {MAX_QUESTIONS} questions "
                                      "besides the practice one."]
        elif practice.count(True) > 1 or (True in practice and not practice[0]):
            errors["question_set"] = ["Only one practice question, and it comes first."]
        if not 1 <= len(original.get("rubric", [])) <= MAX_COMPETENCIES:
            errors["rubric_set"] = [f"Rate between 1 and {MAX_COMPETENCIES} competencies."]
        errors.update(_timing_and_consent(data))
        if errors:
            raise ValidationError(errors)

    @post_load
    def _normal_color(self, data, **kwargs):
        if data.get("brand_color"):
            data["brand_color"] = data["brand_color"].lower()
        return data


def _timing_and_consent(data: dict) -> dict:
    errors = {}
    if "deadline_hours" in data and data.get("reminder_hours", 0) >= data["deadline_hours"]:
        errors["reminder_hours"] = ["The reminder must come before the deadline: fewer hours "
                                    "than the deadline window."]
    if data.get("consent_text") and not data.get("consent_version"):
        errors["consent_version"] = ["Give this consent text a version, recorded with each "
                                     "candidate's agreement."]
    if data.get("consent_version") and not data.get("consent_text"):
        errors["consent_text"] = ["Write the consent text, or clear its version."]
    return errors


def consent_change_errors(template, data: dict) -> dict:
    """A changed consent text needs a new version: agreements record the version, not the text."""
    if template.consent_text and data["consent_text"] \
            and data["consent_text"] != template.consent_text \
            and data["consent_version"] == template.consent_version:
        return {"consent_version": ["The consent text changed: give it a new version."]}
    return {}


def blank_question() -> dict:
    return {"prompt": "", "prep_seconds": 30, "answer_seconds": 120, "retakes": 1,
            "answer_kind": "video", "max_characters": "", "is_practice": False}


def blank_competency() -> dict:
    return {"name": "", "anchors": [""] * LEVELS}


def blank_form() -> dict:
    """A new template's form: one question, one competency, the usual timings."""
    return {"name": "", "deadline_hours": 72, "reminder_hours": 24, "welcome_text": "",
            "welcome_video_url": "", "logo_url": "", "brand_color": "", "consent_text": "",
            "consent_version": "", "retention_days": "", "questions": [blank_question()],
            "rubric": [blank_competency()]}


def form_of(template) -> dict:
    """A saved template as the editor's form values."""
    values = {name: getattr(template, name) or "" for name in SCALARS}
    values["deadline_hours"], values["reminder_hours"] = (template.deadline_hours,
                                                          template.reminder_hours)
    values["questions"] = [
        {**{name: getattr(q, name) for name in QUESTION_FIELDS},
         "answer_kind": q.answer_kind.value, "max_characters": q.max_characters or "",
         "is_practice": q.is_practice}
        for q in sorted(template.questions, key=lambda q: q.position)]
    values["rubric"] = [{"name": c.get("name", ""), "anchors": list(c.get("anchors", []))}
                        for c in template.rubric or []]
    return values


def parse_form(form) -> dict:
    """The submitted form as editor values: rows in their chosen order, removed rows dropped."""
    values = {name: (form.get(name) or "").strip() for name in SCALARS}
    rows: dict[str, dict[int, dict]] = {"questions": {}, "rubric": {}}
    for key in form:
        match = ROW_KEY.match(key)
        if match:
            group, index, field = match[1], int(match[2]), match[3]
            rows[group].setdefault(index, {})[field] = (form.get(key) or "").strip()
    values["questions"] = [_question_row(row) for row in _arranged(rows["questions"])]
    values["rubric"] = [_competency_row(row) for row in _arranged(rows["rubric"])]
    return values


def _arranged(rows: dict[int, dict]) -> list[dict]:
    """Rows without the removed ones, sorted by their order number (then as they came)."""
    kept = [(index, row) for index, row in rows.items() if not row.get("remove")]

    def order(item):
        index, row = item
        try:
            return (int(row.get("order", "")), index)
        except ValueError:
            return (index + 1, index)
    return [row for _, row in sorted(kept, key=order)]


def _question_row(row: dict) -> dict:
    values = {name: row.get(name, "") for name in QUESTION_FIELDS}
    values["is_practice"] = row.get("is_practice") == "yes"
    return values


def _competency_row(row: dict) -> dict:
    anchors = sorted((int(key[-1]), value) for key, value in row.items()
                     if key.startswith("anchor-"))
    return {"name": row.get("name", ""), "anchors": [value for _, value in anchors]}


def validate(values: dict) -> tuple[dict | None, dict]:
    """The editor's values loaded for saving, or None and the errors per field."""
    try:
        return TemplateSchema().load(_without_blanks(values)), {}
    except ValidationError as error:
        return None, error.messages


def _without_blanks(values: dict) -> dict:
    """Empty inputs count as not given (marshmallow then reports a required field's absence)."""
    def clean(row: dict) -> dict:
        return {k: v for k, v in row.items() if v != ""}
    loaded = clean({k: v for k, v in values.items() if k not in ("questions", "rubric")})
    loaded["questions"] = [clean(q) for q in values["questions"]]
    loaded["rubric"] = [{**clean(c), "anchors": c["anchors"]} for c in values["rubric"]]
    return loaded


def errors_at(errors, *path) -> list[str]:
    """The messages at one place in marshmallow's nested errors (row indices are ints)."""
    node = errors
    for step in path:
        if not isinstance(node, dict) or step not in node:
            return []
        node = node[step]
    return [str(m) for m in node] if isinstance(node, list) else []


def positions(questions: list[dict]) -> list[tuple[int, dict]]:
    """Question positions as the built-in template has them: the practice one 0, the rest 1..n."""
    numbered, next_position = [], 1
    for question in questions:
        if question["is_practice"]:
            numbered.append((0, question))
        else:
            numbered.append((next_position, question))
            next_position += 1
    return numbered
