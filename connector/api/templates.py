"""/api/v1/templates: question sets, rubrics, timing, branding and consent.

The built-in template (organization_id NULL) can be read but not changed: updating it answers
409 `builtin_template`. Updating a template bumps its version; a session keeps the questions
and rubric it was created with (its pinned plan), so an edit never changes an interview in
flight.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import selectinload

from connector.api import schemas
from connector.api.errors import ApiError, not_found
from connector.api.routing import operation, organization_id, page_of, services
from connector.models import InterviewTemplate, Question

TAG = "templates"
SETTINGS = ("name", "deadline_hours", "reminder_hours", "welcome_text", "welcome_video_url",
            "logo_url", "brand_color", "consent_text", "consent_version")


def visible():
    """SELECT the templates the organization may read: its own and the built-in ones."""
    return select(InterviewTemplate).where(or_(
        InterviewTemplate.organization_id == organization_id(),
        InterviewTemplate.organization_id.is_(None) & InterviewTemplate.is_builtin,
    )).options(selectinload(InterviewTemplate.questions))


def find_template(db, template_id: int, for_update: bool = False) -> InterviewTemplate:
    query = visible().where(InterviewTemplate.id == template_id)
    template = db.scalar(query.with_for_update() if for_update else query)
    if template is None:
        raise not_found("template")
    return template


def questions_of(items: list[dict]) -> list[Question]:
    """Questions in order: the practice question (if any) is 0, the others 1, 2, ..."""
    start = 0 if items and items[0]["is_practice"] else 1
    return [Question(position=start + n, prompt=q["prompt"], prep_seconds=q["prep_seconds"],
                     answer_seconds=q["answer_seconds"], retakes=q["retakes"],
                     answer_kind=q["kind"], max_characters=q["max_characters"],
                     is_practice=q["is_practice"]) for n, q in enumerate(items)]


def _apply(template: InterviewTemplate, body: dict) -> None:
    for name in SETTINGS:
        setattr(template, name, body[name])
    template.rubric = [{"name": c["name"], "anchors": list(c["anchors"])} for c in body["rubric"]]


@operation("GET", "/templates", tag=TAG, query=schemas.PageQuery(),
           response=schemas.TemplatePage())
def list_templates(query):
    """List the organization's templates and the built-in one, newest first."""
    with services().db.session() as db:
        return page_of(db, visible(), InterviewTemplate.id, query)


@operation("GET", "/templates/<int:template_id>", tag=TAG, response=schemas.Template())
def get_template(template_id):
    """One template with its questions and rubric."""
    with services().db.session() as db:
        return find_template(db, template_id)


@operation("POST", "/templates", tag=TAG, body=schemas.TemplateIn(),
           response=schemas.Template(), status=201)
def create_template(body):
    """Create a template for the organization, at version 1."""
    with services().db.session() as db:
        template = InterviewTemplate(organization_id=organization_id(), is_builtin=False,
                                     version=1, questions=questions_of(body["questions"]))
        _apply(template, body)
        db.add(template)
        db.flush()
        return template


@operation("PUT", "/templates/<int:template_id>", tag=TAG, body=schemas.TemplateIn(),
           response=schemas.Template(), errors=(409,))
def update_template(template_id, body):
    """Replace a template's content; its version goes up by one.

    Sessions already created keep the questions and rubric they were created with.
    The built-in template answers 409 `builtin_template`: create your own instead.
    """
    with services().db.session() as db:
        template = find_template(db, template_id, for_update=True)
        if template.is_builtin or template.organization_id is None:
            raise ApiError(409, "the built-in template cannot be changed; create a template "
                                "of your own (POST /api/v1/templates) instead",
                           code="builtin_template")
        _apply(template, body)
        # Old rows go first: the new questions take the same (template, position) slots.
        db.execute(delete(Question).where(Question.template_id == template.id))
        db.expire(template, ["questions"])
        template.questions = questions_of(body["questions"])
        template.version += 1
        db.flush()
        return template
