"""Admin pages: each installation's health and what is stuck, and marking one active again."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from flask import flash, redirect, url_for
from sqlalchemy import func, select

from adapters import get_adapter
from connector.admin import admin_required, bp, current_organization_id, services
from connector.admin.ops import render_page, run_scoped
from connector.metrics import OVERDUE, RETRYING, STALLED, Stuck, stuck_rows
from connector.models import (
    DeliveryStatus,
    Installation,
    OutboxStatus,
    Push,
    WebhookDelivery,
    utcnow,
)
from connector.outbox import retries
from jobs.claims import LEASE
from jobs.sweeper import GRACE

log = logging.getLogger("connector.admin")


@bp.get("")
@bp.get("/")
@admin_required
def home():
    return redirect(url_for("admin.health"))


@bp.get("/health")
@admin_required
def health():
    """Each installation: status and why, its last delivery and push, what failed or is stuck."""
    with services().db.session() as db:
        org = current_organization_id()
        rows = db.execute(_health_query(org)).all()
        stuck = stuck_rows(db, org)
        installations = {row.Installation.id: row.Installation for row in rows}
        problems = {i: [_problem(s, installations[i]) for s in _ordered(stuck, i)]
                    for i in installations}
        counts = Counter()
        for row in stuck:
            counts[row.installation_id] += row.count
        return render_page("admin/ops_health.html", db, rows=rows, problems=problems,
                           stuck=counts, summary=_summary(stuck))


def _health_query(org: int):
    of = Installation.id
    last_delivery = (select(func.max(WebhookDelivery.received_at))
                     .where(WebhookDelivery.installation_id == of).scalar_subquery())
    last_push = (select(func.max(Push.delivered_at))
                 .where(Push.installation_id == of, Push.status == OutboxStatus.DELIVERED)
                 .scalar_subquery())
    failed_pushes = (select(func.count(Push.id))
                     .where(Push.installation_id == of, Push.status == OutboxStatus.FAILED)
                     .scalar_subquery())
    failed_deliveries = (select(func.count(WebhookDelivery.id))
                         .where(WebhookDelivery.installation_id == of,
                                WebhookDelivery.status == DeliveryStatus.FAILED)
                         .scalar_subquery())
    return (select(Installation, last_delivery.label("last_delivery"),
                   last_push.label("last_push"), failed_pushes.label("failed_pushes"),
                   failed_deliveries.label("failed_deliveries"))
            .where(Installation.organization_id == org).order_by(Installation.name))


# What is stuck, in an admin's words ----------------------------------------------------------

THINGS = {"delivery": ("webhook delivery", "webhook deliveries"), "note": ("note", "notes"),
          "move": ("stage move", "stage moves"),
          "email": ("e-mail to a candidate", "e-mails to candidates")}
WHY_ORDER = (STALLED, OVERDUE, RETRYING)
ERROR_CHARACTERS = 300


@dataclass(frozen=True)
class Problem:
    """One line of the health page: '3 notes' (linked to those rows) and the rest of it."""

    things: str
    rest: str
    href: str | None


def _ordered(stuck: list[Stuck], installation_id: int) -> list[Stuck]:
    mine = [s for s in stuck if s.installation_id == installation_id]
    return sorted(mine, key=lambda s: (list(THINGS).index(s.what), WHY_ORDER.index(s.why)))


def _problem(stuck: Stuck, installation: Installation) -> Problem:
    """'3 notes waiting to reach Greenhouse for more than 2 minutes; tried 2 times; ...'."""
    ats = get_adapter(installation.ats)
    waiting = {"delivery": "waiting to be processed", "email": "waiting to be sent"}.get(
        stuck.what, f"waiting to reach {ats.name if ats else 'the ATS'}")
    clauses = [f"{waiting} for more than {_duration(utcnow() - stuck.since)}"]
    if stuck.attempts > 1:
        clauses.append(f"tried {'' if stuck.count == 1 else 'up to '}{stuck.attempts} times")
    if stuck.why == STALLED:
        clauses.append(f"a try started more than {_duration(LEASE)} ago and never finished, "
                       "as if a worker stopped")
    elif stuck.why == OVERDUE:
        clauses.append(f"the next try is more than {_duration(GRACE)} late: check that the "
                       "worker is running")
    if stuck.last_error:
        clauses.append(f"last error: {_shortened(stuck.last_error)}")
    return Problem(_counted(stuck.what, stuck.count), " " + "; ".join(clauses) + ".",
                   _href(stuck, installation))


def _href(stuck: Stuck, installation: Installation) -> str | None:
    """The pushes or deliveries page, filtered to the rows this line counts."""
    if stuck.what == "delivery":
        status = DeliveryStatus.PROCESSING if stuck.why == STALLED else DeliveryStatus.RECEIVED
        return url_for("admin.deliveries", status=status.value,
                       installation=installation.public_id)
    if stuck.what in ("note", "move"):
        status = OutboxStatus.SENDING if stuck.why == STALLED else OutboxStatus.PENDING
        return url_for("admin.pushes", status=status.value, installation=installation.public_id)
    return None  # e-mails have no page of their own


def _summary(stuck: list[Stuck]) -> str | None:
    """'Stuck now: 3 notes and 1 stage move, in 2 installations.'; None when nothing is."""
    counts = Counter()
    for row in stuck:
        counts[row.what] += row.count
    if not counts:
        return None
    parts = [_counted(what, counts[what]) for what in THINGS if counts[what]]
    listed = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]
    places = len({row.installation_id for row in stuck})
    return f"Stuck now: {listed}, in {places} installation{'s' if places > 1 else ''}."


def _counted(what: str, count: int) -> str:
    one, many = THINGS[what]
    return f"{count} {one if count == 1 else many}"


def _duration(span: timedelta) -> str:
    """Whole seconds, minutes, hours or days, rounded down: '30 seconds', '2 hours'."""
    seconds = int(span.total_seconds())
    # Each unit until two of the next: "90 minutes" says more than "1 hour".
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= 2 * size or (size == 60 and seconds >= 60):
            n = seconds // size
            return f"{n} {unit}{'s' if n > 1 else ''}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def _shortened(error: str) -> str:
    error = " ".join(error.split())
    return error if len(error) <= ERROR_CHARACTERS else error[:ERROR_CHARACTERS - 1] + "…"


@bp.post("/health/<public_id>/reactivate")
@admin_required
def reactivate_installation(public_id: str):
    """Mark the installation active again once its admin has fixed the cause."""
    with services().db.session() as db:
        installation = run_scoped(retries.reactivate, db, public_id)
        name = installation.name
    log.info("admin.installation.reactivated installation=%s", public_id[:40])
    flash(f"{name} is marked active again.", "success")
    return redirect(url_for("admin.health"), 303)
