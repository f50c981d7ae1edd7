"""The access log: who viewed, downloaded, exported or erased what, when and from where."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from connector.models import Access, AccessEvent, Actor, Organization, utcnow

_DETAIL = AccessEvent.__table__.c.detail.type.length
_LABEL = AccessEvent.__table__.c.actor_label.type.length


def record(session, organization_id: int, action: Access, actor: Actor, actor_id: str = "",
           actor_label: str = "", interview: str | None = None, detail: str = "",
           address: str | None = None, at: datetime | None = None) -> AccessEvent:
    """Append one line to the organization's access log, in the caller's transaction."""
    line = AccessEvent(organization_id=organization_id, at=at or utcnow(), action=action,
                       actor=actor, actor_id=str(actor_id)[:100],
                       actor_label=actor_label[:_LABEL], interview=interview,
                       detail=detail[:_DETAIL], address=(address or None) and address[:64])
    session.add(line)
    return line


def age_out(session, now: datetime | None = None) -> int:
    """Delete each organization's lines older than it keeps them; returns how many went."""
    now = now or utcnow()
    gone = 0
    for organization_id, days in session.execute(
            select(Organization.id, Organization.access_log_days)).all():
        gone += session.execute(delete(AccessEvent).where(
            AccessEvent.organization_id == organization_id,
            AccessEvent.at < now - timedelta(days=days))).rowcount
    return gone
