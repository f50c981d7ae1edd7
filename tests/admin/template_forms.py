"""The template editor's form as a browser would post it, and the templates it leaves."""

from __future__ import annotations

import re

from sqlalchemy import select

from connector.models import Interview, InterviewTemplate, StageRule
from tests.admin.conftest import post_form
from tests.conftest import edit_fixture, signed_post

LOGO = "https://cdn.acme.example/logo.png"
ANCHORS = ["Off topic.", "Vague.", "Clear.", "Clear and concrete.", "Compelling."]


def valid_form(**changes) -> dict:
    """A complete, valid editor form: a practice question, two questions, one competency."""
    data = {
        "name": "Support screen", "deadline_hours": "96", "reminder_hours": "12",
        "welcome_text": "Hello from Acme.", "welcome_video_url": "https://cdn.acme.example/hi.mp4",
        "logo_url": LOGO, "brand_color": "#0B6E4F",
        "consent_text": "Acme keeps your answers for 90 days.", "consent_version": "2024-05",
        "rubric-0-name": "Empathy",
        **{f"rubric-0-anchor-{n}": text for n, text in enumerate(ANCHORS, 1)},
    }
    questions = [("Practice: say hello.", "video", "yes", ""),
                 ("Why support?", "video", "", ""),
                 ("Reply to an angry customer.", "text", "", "800")]
    for i, (prompt, kind, practice, chars) in enumerate(questions):
        data.update({f"questions-{i}-prompt": prompt, f"questions-{i}-answer_kind": kind,
                     f"questions-{i}-prep_seconds": "20", f"questions-{i}-answer_seconds": "90",
                     f"questions-{i}-retakes": "2", f"questions-{i}-max_characters": chars,
                     f"questions-{i}-order": str(i + 1)})
        if practice:
            data[f"questions-{i}-is_practice"] = practice
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def save(client, path="/admin/templates/new", **changes):
    return post_form(client, path, {"action": "save", **valid_form(**changes)},
                     token_from="/admin/templates/new")


def templates_of(services) -> list[InterviewTemplate]:
    """The organizations' own templates, oldest first, with their questions."""
    with services.db.session() as db:
        rows = db.scalars(select(InterviewTemplate).where(InterviewTemplate.is_builtin.is_(False))
                          .order_by(InterviewTemplate.id)).all()
        for row in rows:
            row.questions  # noqa: B018  (loaded before the session closes)
        db.expunge_all()
        return rows


def builtin_id(services) -> int:
    with services.db.session() as db:
        return db.scalar(select(InterviewTemplate.id).where(InterviewTemplate.is_builtin))


def created(client, services, **changes) -> InterviewTemplate:
    assert save(client, **changes).status_code == 303
    return templates_of(services)[-1]


def edit(client, template_id: int, version: int, **changes):
    path = f"/admin/templates/{template_id}/edit"
    return post_form(client, path, {"action": "save", "version": str(version),
                                    **valid_form(**changes)}, token_from="/admin/templates")


def invite(client, services, installation, template_id, application_id):
    """A webhook moving one application into the trigger stage, with the rule on this template."""
    with services.db.session() as db:
        for rule in db.scalars(select(StageRule)):
            rule.template_id = template_id
    body = edit_fixture("greenhouse", "candidate_stage_change",
                        lambda d: d["payload"]["application"].update(id=application_id))
    assert signed_post(client, installation, body, event_id=f"evt-{application_id}"
                       ).status_code == 200
    with services.db.session() as db:
        interview = db.scalars(select(Interview).where(
            Interview.ats_application_id == str(application_id))).one()
        db.expunge(interview)
        return interview


def error_of(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]*)</p>', html)
    return found[1] if found else ""
