"""Retention: an interview's recordings and personal data go a set time after it settles.

An interview settles when it is completed, expires or is cancelled, and settles again (later)
when a reviewer submits a scorecard or the ATS closes the application: the period counts from
the last of these. It lasts the template's `retention_days`, else the organization's. Candidates'
confirmed erasure requests (`Interview.erasure_due_at`) are carried out by the same schedule.
Everything goes through connector.privacy.erasure.erase, so a purge erases exactly what any
other erasure does and leaves the same anonymous record and receipt.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, false, func, or_, select, true, update

from connector.models import (
    Actor, DeliveryStatus, ErasureReason, Installation, Interview, InterviewState,
    InterviewTemplate, Organization, WebhookDelivery, utcnow,
)
from connector.models.interviews import SETTLED_STATES
from connector.privacy import access
from connector.privacy.erasure import Person, Who, erase

BATCH = 100
# A stored webhook can name people who never got an interview (no e-mail address, a stage that
# starts none, a rejection): no erasure finds them by interview, so every body goes this long
# after it was processed. Long enough to look into a delivery and replay it; short enough to be
# no archive of candidates.
DELIVERY_BODY_DAYS = 30
DELIVERY_PAGE = 1000
RETENTION = Who(ErasureReason.RETENTION, Actor.SYSTEM, actor_label="retention schedule")
REQUESTED = Who(ErasureReason.CANDIDATE, Actor.CANDIDATE, actor_label="the candidate's request")


def settle(interview: Interview, now: datetime | None = None) -> None:
    """The interview was decided, expired or cancelled: its retention period starts (again) now."""
    if interview.state in SETTLED_STATES and interview.erased_at is None:
        interview.settled_at = now or utcnow()


def reopen(interview: Interview) -> None:
    """The interview is open again (extended, an answer reset): no period runs until it settles."""
    interview.settled_at = None


def retention_days(template: InterviewTemplate | None, organization: Organization) -> int:
    """Days an interview's data is kept once settled: the template's, else the organization's."""
    return (template.retention_days if template else None) or organization.retention_days


def due_at(interview: Interview) -> datetime | None:
    """When the interview's data is due to go; None while it is open or once it is erased."""
    if interview.erased_at is not None:
        return None
    dates = [interview.erasure_due_at] if interview.erasure_due_at else []
    if interview.settled_at is not None and interview.state in SETTLED_STATES:
        days = retention_days(interview.template, interview.installation.organization)
        dates.append(interview.settled_at + timedelta(days=days))
    return min(dates, default=None)


def purge_due(db, storage, now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Erase up to `batch` interviews past their period and `batch` requested ones; count all.

    Each erasure commits on its own, so a crash midway leaves the rest due for the next run, and
    an erased interview is never due again, so a second run changes nothing.
    """
    now = now or utcnow()
    columns = (Interview.id, Installation.organization_id)
    with db.session() as session:
        requested = session.execute(_live().with_only_columns(*columns).where(
            Interview.erasure_due_at <= now,
        ).order_by(Interview.erasure_due_at, Interview.id).limit(batch)).all()
        expired = session.execute(_settled().with_only_columns(*columns).where(
            _due_by(session, now), Interview.id.not_in([row.id for row in requested]),
        ).order_by(Interview.settled_at, Interview.id).limit(batch)).all()
    counts = {"requested": 0, "retention": 0}
    for interview_id, organization_id in requested:
        counts["requested"] += erase(db, storage, Person(
            organization_id, interview_ids={interview_id}), REQUESTED, now).interview_count
    by_organization: dict[int, set[int]] = defaultdict(set)
    for interview_id, organization_id in expired:
        by_organization[organization_id].add(interview_id)
    for organization_id, ids in sorted(by_organization.items()):
        counts["retention"] += erase(db, storage, Person(organization_id, interview_ids=ids),
                                     RETENTION, now).interview_count
    with db.session() as session:
        counts["access_log"] = access.age_out(session, now)
        counts["deliveries"] = empty_old_deliveries(session, now)
    return counts


def empty_old_deliveries(session, now: datetime, page: int = DELIVERY_PAGE) -> int:
    """Blank the bodies of webhooks processed over DELIVERY_BODY_DAYS ago; keep their status."""
    done = (DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED, DeliveryStatus.FAILED)
    ids = session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.status.in_(done), WebhookDelivery.body != "",
        func.coalesce(WebhookDelivery.processed_at, WebhookDelivery.received_at)
        < now - timedelta(days=DELIVERY_BODY_DAYS),
    ).order_by(WebhookDelivery.id).limit(page)).all()
    if ids:
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                        .values(body="", event=None, headers=None))
    return len(ids)


@dataclass(frozen=True)
class Upcoming:
    """An interview whose data goes next: when, and why."""

    public_id: str
    due_at: datetime
    template: str
    state: InterviewState
    requested: bool  # the candidate asked for erasure; else the retention period ends


def upcoming(session, organization_id: int, limit: int = 20) -> list[Upcoming]:
    """The organization's next `limit` interviews to be purged, soonest first."""
    found = [(row.erasure_due_at, row, True) for row in session.scalars(
        _live().where(Installation.organization_id == organization_id,
                      Interview.erasure_due_at.is_not(None))
        .order_by(Interview.erasure_due_at, Interview.id).limit(limit))]
    for days, applies in _periods(session, organization_id):
        found += [(row.settled_at + timedelta(days=days), row, False) for row in session.scalars(
            _settled().where(Installation.organization_id == organization_id, applies)
            .order_by(Interview.settled_at, Interview.id).limit(limit))]
    soonest: dict[int, tuple] = {}
    for due, row, requested in sorted(found, key=lambda item: (item[0], item[1].id)):
        soonest.setdefault(row.id, (due, row, requested))
    return [Upcoming(row.public_id, due, row.template.name, row.state, requested)
            for due, row, requested in list(soonest.values())[:limit]]


def due_within(session, organization_id: int, days: int, now: datetime | None = None) -> int:
    """How many of the organization's interviews fall due within `days` (overdue ones too)."""
    until = (now or utcnow()) + timedelta(days=days)
    return session.scalar(select(func.count()).select_from(_live().where(
        Installation.organization_id == organization_id, or_(
            Interview.erasure_due_at <= until,
            Interview.state.in_(SETTLED_STATES) & _due_by(session, until, organization_id)),
    ).subquery()))


def _live():
    """Interviews not yet erased, with their installation (for the organization)."""
    return select(Interview).join(Installation, Interview.installation_id == Installation.id) \
        .where(Interview.erased_at.is_(None))


def _settled():
    return _live().where(Interview.state.in_(SETTLED_STATES), Interview.settled_at.is_not(None))


def _due_by(session, moment: datetime, organization_id: int | None = None):
    """Settled interviews whose period ends by `moment` (the caller joins Installation)."""
    return or_(false(), *[and_(applies, Interview.settled_at <= moment - timedelta(days=days))
                          for days, applies in _periods(session, organization_id)])


def _periods(session, organization_id: int | None = None) -> list[tuple[int, object]]:
    """Each retention period in days, with the condition on the interviews it applies to."""
    templates = select(InterviewTemplate.id, InterviewTemplate.retention_days).where(
        InterviewTemplate.retention_days.is_not(None))
    organizations = select(Organization.id, Organization.retention_days)
    if organization_id is not None:
        templates = templates.where(InterviewTemplate.organization_id == organization_id)
        organizations = organizations.where(Organization.id == organization_id)
    overridden: dict[int, list[int]] = defaultdict(list)
    for template_id, days in session.execute(templates):
        overridden[days].append(template_id)
    others = [t for ids in overridden.values() for t in ids]
    default: dict[int, list[int]] = defaultdict(list)
    for org_id, days in session.execute(organizations):
        default[days].append(org_id)
    rest = Interview.template_id.not_in(others) if others else true()
    return [(days, Interview.template_id.in_(ids)) for days, ids in overridden.items()] + [
        (days, and_(Installation.organization_id.in_(ids), rest))
        for days, ids in default.items()]
