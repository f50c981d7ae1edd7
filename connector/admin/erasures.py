"""Admin pages: erase a candidate on request (checked, then confirmed), and the receipts kept."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from connector.admin import admin_required, bp, current_organization_id, services
from connector.admin.ops import render_page
from connector.models import Actor, ErasureReason, Installation, Interview
from connector.privacy import requests
from connector.privacy.erasure import Who, erase, make_plan

log = logging.getLogger("connector.admin")
FIELDS = ("email", "ats_candidate_id", "installation", "interview")
MAX_FIELD = 400


@bp.get("/erasures")
@admin_required
def erasures():
    """The form that names a person, and the organization's receipts."""
    with services().db.session() as db:
        return _form_page(db, None, 200)


@bp.get("/erasures/confirm")
@admin_required
def confirm_erasure():
    """What an erasure would take, to confirm; nothing changes yet."""
    named = _named(request.args)
    if not any(named.values()):  # nothing named yet: the form
        return redirect(url_for("admin.erasures"), 303)
    with services().db.session() as db:
        try:
            plan = make_plan(db, _person(db, named))
        except requests.Refused as exc:
            return _form_page(db, str(exc), 400)
        found = db.scalars(select(Interview).where(Interview.id.in_(plan.interview_ids))
                           .order_by(Interview.created_at)).all()
        return render_page("admin/erasure_confirm.html", db, named=named, interviews=found)


@bp.post("/erasures")
@admin_required
def erase_candidate():
    """Erase the person named, once confirmed; the receipt is listed on the page."""
    named = _named(request.form)
    connector = services()
    with connector.db.session() as db:
        try:
            person = _person(db, named)
        except requests.Refused as exc:
            return _form_page(db, str(exc), 400)
        if request.form.get("confirm") != "yes":
            return _form_page(db, "Confirm the erasure first.", 400)
    who = Who(ErasureReason.ADMIN, Actor.USER, actor_id=str(current_user.id),
              actor_label=current_user.name or "", address=request.remote_addr)
    receipt = erase(connector.db, connector.storage, person, who)
    log.info("admin.erased receipt=%s interviews=%s", receipt.public_id, receipt.interview_count)
    flash(f"Erased: receipt {receipt.public_id} ({receipt.interview_count} interview"
          f"{'s' if receipt.interview_count != 1 else ''}).", "ok")
    return redirect(url_for("admin.erasures"), 303)


def _named(values) -> dict:
    named = {key: (values.get(key) or "").strip() for key in FIELDS}
    if any(len(value) > MAX_FIELD for value in named.values()):
        abort(400, f"a field has at most {MAX_FIELD} characters")
    return named


def _person(db, named: dict):
    """The person, within the organization; another organization's ids are a 404."""
    try:
        return requests.named(db, current_organization_id(), **named)
    except requests.NotFound:
        abort(404)


def _form_page(db, error: str | None, status: int):
    org = current_organization_id()
    installations = db.scalars(select(Installation).where(
        Installation.organization_id == org).order_by(Installation.name)).all()
    page = render_page("admin/erasures.html", db, error=error, receipts=requests.receipts(db, org),
                       installations=installations, named=_named(request.values))
    page.status_code = status
    return page
