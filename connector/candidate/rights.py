"""The candidate's rights from their own link: what is kept, a copy of it, and its erasure."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, send_file, url_for

from connector import tasks
from connector.auth import client_address, limiter
from connector.candidate.limits import ERASURE_LIMIT, EXPORT_LIMIT, LINK_LIMIT, link_key
from connector.candidate.views import find_interview, page, page_context, too_many
from connector.models import Access, Actor, AnswerKind, AnswerStatus, Interview
from connector.privacy import access
from connector.privacy.export import export_zip
from connector.privacy.withdrawal import withdraw

bp = Blueprint("candidate_rights", __name__)
bp.register_error_handler(429, too_many)


@bp.get("/interview/<token>/privacy")
@limiter.limit(LINK_LIMIT, key_func=link_key)
def your_data(token: str):
    """What is stored about the candidate and until when; a copy; withdrawing consent."""
    with _services().db.session() as session:
        interview = _interview(session, token)
        return page("candidate/your_data.html", 200, **_context(interview, token))


@bp.get("/interview/<token>/privacy/export")
@limiter.limit(EXPORT_LIMIT, key_func=link_key)
def export(token: str):
    """A ZIP of the candidate's record and recordings, built on disk and streamed from there."""
    services = _services()
    with services.db.session() as session:
        interview = _interview(session, token)
        archive = export_zip(services.storage, interview)
        access.record(session, interview.installation.organization_id, Access.EXPORTED,
                      Actor.CANDIDATE, actor_id=interview.public_id,
                      interview=interview.public_id, detail="the candidate's own copy",
                      address=client_address())
        name = f"interview-{interview.public_id}.zip"
    response = send_file(archive, mimetype="application/zip", as_attachment=True,
                         download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/interview/<token>/privacy/erasure")
@limiter.limit(ERASURE_LIMIT, key_func=link_key)
def request_erasure(token: str):
    """Withdraw consent and ask for erasure, once the candidate has ticked to confirm it."""
    services = _services()
    with services.db.session() as session:
        interview = _interview(session, token)
        if request.form.get("confirm") != "yes":
            return page("candidate/your_data.html", 422, confirm_error=True,
                        **_context(interview, token))
        push = withdraw(session, interview)
        push_id = push.id if push else None
    if push_id:
        services.queue.enqueue(tasks.DELIVER_PUSH, push_id)
    return redirect(url_for("candidate_rights.erasure_requested", token=token), 303)


@bp.get("/interview/<token>/privacy/erasure")
@limiter.limit(LINK_LIMIT, key_func=link_key)
def erasure_requested(token: str):
    """The confirmation: consent withdrawn, and the day the data goes."""
    with _services().db.session() as session:
        interview = _interview(session, token)
        if interview.erasure_due_at is None:
            return redirect(url_for("candidate_rights.your_data", token=token))
        return page("candidate/erasure_requested.html", 200, **_context(interview, token))


def _interview(session, token: str) -> Interview:
    """The link's interview, whatever its state; 404 for an unknown or erased one."""
    interview = find_interview(session, token)
    if interview is None:
        abort(404)
    return interview


def _context(interview: Interview, token: str) -> dict:
    submitted = [a for a in interview.answers if a.status is AnswerStatus.SUBMITTED]
    return {**page_context(interview), "token": token,
            "recordings": sum(a.kind is not AnswerKind.TEXT for a in submitted),
            "written": sum(a.kind is AnswerKind.TEXT for a in submitted)}


def _services():
    return current_app.extensions["connector"]
