"""/api/v1/pushes: the organization's writes to its ATS (the outbox), and a retry."""

from __future__ import annotations

from sqlalchemy import select

from connector.api import schemas
from connector.api.errors import ApiError, not_found
from connector.api.routing import operation, organization_id, page_of, services
from connector.models import Installation, Interview, Push
from connector.outbox import retries

TAG = "pushes"


def organization_pushes():
    return (select(Push).join(Installation, Push.installation_id == Installation.id)
            .where(Installation.organization_id == organization_id()))


def find_push(db, push_id: int) -> Push:
    push = db.scalar(organization_pushes().where(Push.id == push_id))
    if push is None:
        raise not_found("push")
    return push


def describe(db, pushes: list[Push]) -> list[dict]:
    """Pushes with their installation's and session's public ids."""
    installation_ids = {p.installation_id for p in pushes}
    session_ids = {p.session_id for p in pushes if p.session_id}
    installations = dict(db.execute(select(Installation.id, Installation.public_id)
                                    .where(Installation.id.in_(installation_ids))).all())
    sessions = dict(db.execute(select(Interview.id, Interview.public_id)
                               .where(Interview.id.in_(session_ids))).all())
    return [{
        "id": p.id, "installation_id": installations[p.installation_id],
        "session_id": sessions.get(p.session_id), "kind": p.kind, "status": p.status,
        "attempts": p.attempts, "last_error": p.last_error,
        "next_attempt_at": p.next_attempt_at, "external_id": p.external_id,
        "created_at": p.created_at, "delivered_at": p.delivered_at,
    } for p in pushes]


@operation("GET", "/pushes", tag=TAG, query=schemas.PushQuery(), response=schemas.PushPage())
def list_pushes(query):
    """List pushes, newest first; filter by status and installation."""
    rows = organization_pushes()
    if query["status"] is not None:
        rows = rows.where(Push.status == query["status"])
    if query["installation"] is not None:
        rows = rows.where(Installation.public_id == query["installation"])
    with services().db.session() as db:
        found = page_of(db, rows, Push.id, query)
        return {**found, "data": describe(db, found["data"])}


@operation("GET", "/pushes/<int:push_id>", tag=TAG, response=schemas.Push())
def get_push(push_id):
    """One push: its state, attempts and last error."""
    with services().db.session() as db:
        return describe(db, [find_push(db, push_id)])[0]


@operation("POST", "/pushes/<int:push_id>/retry", tag=TAG, response=schemas.Push(),
           errors=(409,))
def retry_push(push_id):
    """Send a failed or held push again now; its attempts and last error are kept."""
    svc = services()
    with svc.db.session() as db:
        try:
            retries.retry_push(db, push_id, organization_id())
        except retries.NoSuchRow:
            raise not_found("push") from None
        except retries.Refused as exc:
            raise ApiError(409, str(exc)) from None
    svc.queue.enqueue(retries.PUSH_JOB, push_id)
    with svc.db.session() as db:
        return describe(db, [find_push(db, push_id)])[0]
