"""/api/v1/sessions: list, read, start by hand, and correct interview sessions.

The corrections are connector/lifecycle.py's (as `connector sessions ...` uses them); a refused
one answers 409 with lifecycle's reason, and writes nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from connector import lifecycle, manual
from connector.api import schemas
from connector.api.errors import ApiError, not_found
from connector.api.installations import find_installation
from connector.api.routing import operation, organization_id, page_of, services
from connector.api.templates import find_template
from connector.models import Installation, Interview
from jobs.lifecycle import enqueue_rows, schedule

TAG = "sessions"


def organization_sessions():
    """SELECT the organization's sessions (with what the output needs, loaded at once)."""
    return (select(Interview).join(Installation)
            .where(Installation.organization_id == organization_id())
            .options(selectinload(Interview.installation),
                     selectinload(Interview.answers)))


def find_session(db, public_id: str, for_update: bool = False) -> Interview:
    """The organization's session by public id (locked for a correction); 404 otherwise."""
    query = organization_sessions().where(Interview.public_id == public_id)
    if for_update:
        query = query.with_for_update(of=Interview)
    interview = db.scalar(query)
    if interview is None:
        raise not_found("session")
    return interview


def refused(exc: lifecycle.LifecycleError) -> ApiError:
    return ApiError(409, str(exc))


@operation("GET", "/sessions", tag=TAG, query=schemas.SessionQuery(),
           response=schemas.SessionPage())
def list_sessions(query):
    """List sessions, newest first; filter by state, installation and creation time."""
    rows = organization_sessions()
    if query["state"] is not None:
        rows = rows.where(Interview.state == query["state"])
    if query["installation"] is not None:
        rows = rows.where(Installation.public_id == query["installation"])
    if query["created_after"] is not None:
        rows = rows.where(Interview.created_at >= query["created_after"])
    if query["created_before"] is not None:
        rows = rows.where(Interview.created_at < query["created_before"])
    with services().db.session() as db:
        return page_of(db, rows, Interview.id, query)


@operation("GET", "/sessions/<public_id>", tag=TAG, response=schemas.SessionDetail())
def get_session(public_id):
    """One session: its pinned questions and each answer's status (never the media)."""
    with services().db.session() as db:
        return find_session(db, public_id)


@operation("POST", "/sessions", tag=TAG, body=schemas.SessionCreate(),
           response=schemas.SessionDetail(), status=201, errors=(404, 409))
def create_session(body):
    """Invite a candidate by hand: the same e-mail and ATS note as a stage move sends.

    An application that already has an open interview answers 409.
    """
    svc = services()
    with svc.db.session() as db:
        installation = find_installation(db, body["installation_id"])
        template = (find_template(db, body["template_id"]) if body["template_id"] is not None
                    else manual.default_template(db, installation))
        try:
            interview, result = manual.invite(
                db, svc.keyring, svc.settings.public_base_url, installation, template,
                candidate_name=body["candidate_name"].strip(),
                candidate_email=body["candidate_email"].strip(),
                job_title=body["job_title"].strip(),
                application_id=body["ats_application_id"].strip(),
                candidate_id=body["ats_candidate_id"].strip())
        except lifecycle.LifecycleError as exc:
            raise refused(exc) from exc
        public_id = interview.public_id
    enqueue_rows(svc.queue, email_ids=result.email_ids, push_ids=result.push_ids)
    schedule(svc.queue, result.timers)
    return _reread(public_id)


@operation("POST", "/sessions/<public_id>/extend", tag=TAG, body=schemas.Extend(),
           response=schemas.SessionDetail(), errors=(409,))
def extend_session(public_id, body):
    """Move the deadline later (from now, if it has passed); an expired session opens again."""
    svc = services()
    with svc.db.session() as db:
        interview = find_session(db, public_id, for_update=True)
        try:
            timers = lifecycle.extend(db, interview, body["hours"])
        except lifecycle.LifecycleError as exc:
            raise refused(exc) from exc
    schedule(svc.queue, [timers])
    return _reread(public_id)


@operation("POST", "/sessions/<public_id>/resend", tag=TAG, response=schemas.SessionDetail(),
           errors=(409,))
def resend_invitation(public_id):
    """E-mail the invitation again, with the same personal link."""
    svc = services()
    with svc.db.session() as db:
        interview = find_session(db, public_id, for_update=True)
        try:
            email = lifecycle.resend(db, interview, svc.settings.public_base_url, svc.keyring)
        except lifecycle.LifecycleError as exc:
            raise refused(exc) from exc
        email_id = email.id
    enqueue_rows(svc.queue, email_ids=[email_id])
    return _reread(public_id)


@operation("POST", "/sessions/<public_id>/answers/<int:position>/reset", tag=TAG,
           response=schemas.SessionDetail(), errors=(409,))
def reset_answer(public_id, position):
    """Delete the answer to one question (by position) so the candidate can record it again."""
    svc = services()
    with svc.db.session() as db:
        interview = find_session(db, public_id, for_update=True)
        try:
            lifecycle.reset_answer(db, interview, position, svc.storage)
        except lifecycle.LifecycleError as exc:
            raise refused(exc) from exc
    return _reread(public_id)


@operation("POST", "/sessions/<public_id>/cancel", tag=TAG, response=schemas.SessionDetail(),
           errors=(409,))
def cancel_session(public_id):
    """Cancel an open interview: its link stops working and no reminder follows."""
    with services().db.session() as db:
        interview = find_session(db, public_id, for_update=True)
        try:
            manual.cancel(interview)
        except lifecycle.LifecycleError as exc:
            raise refused(exc) from exc
    return _reread(public_id)


def _reread(public_id: str) -> Interview:
    """The session as committed (and as the jobs just run may have changed it)."""
    with services().db.session() as db:
        return find_session(db, public_id)
