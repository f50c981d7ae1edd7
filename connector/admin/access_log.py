"""Admin pages: the organization's access log, filtered, paged, and exported as CSV.

Read-only by design: no route edits or deletes a line (the model refuses updates, and the
database refuses them too); lines leave only by age (connector.privacy.access.age_out).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, request, url_for
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from connector.admin import admin_required, bp, current_organization_id, services
from connector.admin.ops import enum_arg, organization_zone, paginate, render_page
from connector.models import Access, AccessEvent, Actor, utcnow
from connector.privacy.web import log_access

PUBLIC_ID = re.compile(r"[a-z]{2,10}_[A-Za-z0-9_-]{1,30}")
CSV_BATCH = 500  # lines read per short transaction while the export streams
FIRST_YEAR, LAST_YEAR = 2000, 9998  # whole days that convert to UTC and back without overflow
COLUMNS = ("at", "action", "actor", "actor_id", "actor_label", "interview", "detail", "address")
# A spreadsheet runs a cell starting with these as a formula (CSV injection): a reviewer's
# name is typed by an admin, so such a cell is written with a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Filters:
    """What the page and the export show: each filter is optional."""

    action: Access | None
    actor: Actor | None
    interview: str
    start: datetime | None  # inclusive, UTC-aware
    end: datetime | None  # exclusive

    def where(self, organization_id: int) -> list:
        clauses = [AccessEvent.organization_id == organization_id]
        if self.action:
            clauses.append(AccessEvent.action == self.action)
        if self.actor:
            clauses.append(AccessEvent.actor == self.actor)
        if self.interview:
            clauses.append(AccessEvent.interview == self.interview)
        if self.start:
            clauses.append(AccessEvent.at >= self.start)
        if self.end:
            clauses.append(AccessEvent.at < self.end)
        return clauses

    def described(self) -> str:
        """The export's filters in words, for its own line in the log."""
        args = {"action": self.action, "actor": self.actor, "interview": self.interview,
                "from": request.args.get("from"), "to": request.args.get("to")}
        shown = " ".join(f"{k}={getattr(v, 'value', v)}" for k, v in args.items() if v)
        return f"access log CSV {shown}".strip()


@bp.get("/access-log")
@admin_required
def access_log():
    """Who viewed, downloaded, exported, erased or purged what: newest first, filtered."""
    with services().db.session() as db:
        filters = read_filters(organization_zone(db))
        query = (select(AccessEvent).where(*filters.where(current_organization_id()))
                 .order_by(AccessEvent.at.desc(), AccessEvent.id.desc()))
        return render_page("admin/access_log.html", db, rows=paginate(db, query, scalars=True),
                           actions=list(Access), actors=list(Actor),
                           export_url=url_for(".access_log_csv", **{
                               k: v for k, v in request.args.items() if k != "page"}))


@bp.get("/access-log.csv")
@admin_required
def access_log_csv():
    """The filtered log as CSV, streamed in batches; the export is itself a line of the log."""
    organization_id = current_organization_id()
    with services().db.session() as db:
        filters = read_filters(organization_zone(db))
        own = log_access(db, Access.EXPORTED, detail=filters.described())
        db.flush()
        last_id = own.id  # the export shows the log up to and including its own line
    # The database is handed in, so the stream needs no request context (a download that is
    # abandoned unread leaves nothing that needs one).
    response = Response(_csv_lines(services().db, filters, organization_id, last_id),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="access-log-{utcnow():%Y-%m-%d}.csv"')
    response.headers["Cache-Control"] = "no-store"
    return response


def read_filters(zone: ZoneInfo) -> Filters:
    """The query's filters; a value that is not one answers 400 before anything is read."""
    interview = request.args.get("interview", "").strip()
    if interview and not PUBLIC_ID.fullmatch(interview):
        abort(400, "interview must be an interview's id (ses_...)")
    start, end = _day("from"), _day("to")
    if start and end and start > end:
        abort(400, "from is after to")
    return Filters(action=enum_arg("action", Access), actor=enum_arg("actor", Actor),
                   interview=interview, start=_midnight(start, zone) if start else None,
                   end=_midnight(end + timedelta(days=1), zone) if end else None)


def _csv_lines(database, filters: Filters, organization_id: int, last_id: int):
    """The header, then the lines newest first, each batch read in a short transaction of its
    own (on SQLite a transaction holds the write lock: never across a slow download)."""
    yield _csv_row(COLUMNS)
    after = None
    while True:
        with database.session() as db:
            batch = _batch(db, filters, organization_id, last_id, after)
        for line in batch:
            yield _csv_row((line.at.isoformat(), line.action.value, line.actor.value,
                            line.actor_id, line.actor_label, line.interview or "",
                            line.detail, line.address or ""))
        if len(batch) < CSV_BATCH:
            return
        after = (batch[-1].at, batch[-1].id)


def _batch(db: Session, filters: Filters, organization_id: int, last_id: int,
           after: tuple[datetime, int] | None) -> list[AccessEvent]:
    query = select(AccessEvent).where(*filters.where(organization_id), AccessEvent.id <= last_id)
    if after:
        at, line_id = after
        query = query.where(or_(AccessEvent.at < at,
                                and_(AccessEvent.at == at, AccessEvent.id < line_id)))
    return list(db.scalars(query.order_by(AccessEvent.at.desc(), AccessEvent.id.desc())
                           .limit(CSV_BATCH)))


def _csv_row(values) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(
        ["'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in values])
    return out.getvalue()


def _day(name: str) -> date | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        abort(400, f"{name} must be a date (YYYY-MM-DD) from {FIRST_YEAR} to {LAST_YEAR}")
    return day


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone)
