"""Admin pages: the interview template editor (questions, rubric, timing, welcome, brand, consent).

An organization edits its own templates; the built-in one is shown read-only and can be copied.
A saved edit bumps the template's version; interviews already created keep the plan and rubric
they pinned (connector.interviews.plan_of), so an edit never changes an interview in flight.
"""

from __future__ import annotations

import copy

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from connector.admin import admin_required, bp, current_organization_id, services
from connector.admin import template_forms as forms
from connector.models import (
    AnswerKind, Installation, Interview, InterviewTemplate, Question, StageRule,
)

MAX_NAME = 200


@bp.get("/templates")
@admin_required
def template_list():
    """The organization's templates, then the built-in one."""
    with services().db.session() as db:
        rows = db.scalars(_visible().order_by(InterviewTemplate.is_builtin,
                                              func.lower(InterviewTemplate.name))).all()
        return render_template("admin/template_list.html", templates=rows, used_by=_use(db))


@bp.get("/templates/<int:template_id>")
@admin_required
def template_show(template_id: int):
    """One template, read-only: the built-in one, or the organization's own."""
    with services().db.session() as db:
        template = _one(db, _visible(), template_id)
        return render_template("admin/template_show.html", template=template)


@bp.route("/templates/new", methods=["GET", "POST"])
@admin_required
def template_new():
    if request.method == "GET":
        return _editor(forms.blank_form(), {}, 200)
    values = forms.parse_form(request.form)
    if request.form.get("action", "save") != "save":
        return _editor(_with_added_row(values), {}, 200)
    data, errors = forms.validate(values)
    if errors:
        return _editor(values, errors, 400)
    with services().db.session() as db:
        template = InterviewTemplate(organization_id=current_organization_id(), version=1,
                                     is_builtin=False)
        db.add(template)
        _apply(db, template, data)
    flash(f"Template “{data['name']}” saved.", "success")
    return redirect(url_for(".template_list"), 303)


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@admin_required
def template_edit(template_id: int):
    """Edit one of the organization's templates; the built-in one answers 404 here."""
    with services().db.session() as db:
        template = _one(db, _own(), template_id, lock=request.method == "POST")
        if request.method == "GET":
            return _editor(forms.form_of(template), {}, 200, template)
        values = forms.parse_form(request.form)
        if request.form.get("action", "save") != "save":
            return _editor(_with_added_row(values), {}, 200, template)
        if request.form.get("version") != str(template.version):
            return _editor(values, {}, 409, template, conflict=True)
        data, errors = forms.validate(values)
        errors = errors or forms.consent_change_errors(template, data)
        if errors:
            return _editor(values, errors, 400, template)
        template.version += 1
        _apply(db, template, data)
        version = template.version
    flash(f"Template “{data['name']}” saved as version {version}.", "success")
    return redirect(url_for(".template_list"), 303)


@bp.post("/templates/<int:template_id>/copy")
@admin_required
def template_copy(template_id: int):
    """A new template of the organization's own, starting from this one (built-in or own)."""
    with services().db.session() as db:
        source = _one(db, _visible(), template_id)
        duplicate = _duplicate(source)
        db.add(duplicate)
        db.flush()
        new_id = duplicate.id
    flash("Copied. Change what you need and save.", "success")
    return redirect(url_for(".template_edit", template_id=new_id), 303)


def _use(db) -> dict[int, str]:
    """Per template id, in words: the organization's installations and interviews using it."""
    org_id = current_organization_id()
    default_id = db.scalar(select(func.min(InterviewTemplate.id))
                           .where(InterviewTemplate.is_builtin))
    installations: dict[int, set[int]] = {}
    for template_id, installation_id in db.execute(
            select(StageRule.template_id, StageRule.installation_id).distinct()
            .join(Installation).where(Installation.organization_id == org_id)):
        # A trigger stage naming no template uses the built-in default (interviews.template_for).
        installations.setdefault(template_id or default_id, set()).add(installation_id)
    interviews = dict(db.execute(
        select(Interview.template_id, func.count()).join(Installation)
        .where(Installation.organization_id == org_id).group_by(Interview.template_id)
    ).all())
    return {template_id: used_by(len(installations.get(template_id, ())),
                                 interviews.get(template_id, 0))
            for template_id in {*installations, *interviews}}


def used_by(installations: int, interviews: int) -> str:
    """In words: "Used by 1 installation and 3 interviews", or "Not used yet"."""
    parts = [f"{n} {word}{'' if n == 1 else 's'}"
             for n, word in ((installations, "installation"), (interviews, "interview")) if n]
    return "Used by " + " and ".join(parts) if parts else "Not used yet"


def _visible():
    """Templates the signed-in admin may see: the organization's and the built-in ones."""
    return select(InterviewTemplate).where(or_(
        InterviewTemplate.organization_id == current_organization_id(),
        InterviewTemplate.organization_id.is_(None) & InterviewTemplate.is_builtin))


def _own():
    """Templates the signed-in admin may change: the organization's, never a built-in one."""
    return select(InterviewTemplate).where(
        InterviewTemplate.organization_id == current_organization_id(),
        InterviewTemplate.is_builtin.is_(False))


def _one(db, query, template_id: int, lock: bool = False) -> InterviewTemplate:
    query = query.where(InterviewTemplate.id == template_id)
    template = db.scalar(query.with_for_update() if lock else query)
    if template is None:
        abort(404)
    return template


def _apply(db, template: InterviewTemplate, data: dict) -> None:
    """Write validated values; questions are replaced as a whole, in their new order."""
    for name in forms.SCALARS:
        setattr(template, name, data[name])
    template.rubric = [{"name": c["name"], "anchors": list(c["anchors"])} for c in data["rubric"]]
    template.questions.clear()
    db.flush()  # delete the old rows first: (template, position) is unique
    for position, q in forms.positions(data["questions"]):
        template.questions.append(Question(
            position=position, prompt=q["prompt"], prep_seconds=q["prep_seconds"],
            answer_seconds=q["answer_seconds"], retakes=q["retakes"],
            answer_kind=AnswerKind(q["answer_kind"]), max_characters=q["max_characters"],
            is_practice=q["is_practice"]))


def _duplicate(source: InterviewTemplate) -> InterviewTemplate:
    copied = InterviewTemplate(
        organization_id=current_organization_id(), is_builtin=False, version=1,
        name=f"Copy of {source.name}"[:MAX_NAME], rubric=copy.deepcopy(source.rubric or []),
        **{name: getattr(source, name) for name in forms.SCALARS if name != "name"})
    copied.questions = [Question(
        position=q.position, prompt=q.prompt, prep_seconds=q.prep_seconds,
        answer_seconds=q.answer_seconds, retakes=q.retakes, answer_kind=q.answer_kind,
        max_characters=q.max_characters, is_practice=q.is_practice) for q in source.questions]
    return copied


def _with_added_row(values: dict) -> dict:
    """The form again after "add question" or "add competency": one more blank row."""
    action = request.form.get("action")
    if action == "add-question":
        values["questions"].append(forms.blank_question())
    elif action == "add-competency":
        values["rubric"].append(forms.blank_competency())
    return values


def _editor(values: dict, errors: dict, status: int, template: InterviewTemplate | None = None,
            conflict: bool = False):
    html = render_template(
        "admin/template_form.html", values=values, errors=errors, template=template,
        conflict=conflict, errors_at=lambda *path: forms.errors_at(errors, *path),
        kinds=forms.ANSWER_KINDS, levels=forms.LEVELS, limits=forms)
    return html, status
