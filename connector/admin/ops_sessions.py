"""Admin pages: interview sessions, searched by candidate and filtered by state, job and date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.admin import admin_required, bp, current_organization_id, services
from connector.admin.ops import enum_arg, organization_zone, paginate, render_page
from connector.models import Installation, Interview, InterviewState

MAX_SEARCH_LENGTH = 200


@bp.get("/sessions")
@admin_required
def sessions():
    """Interview sessions, found by candidate and filtered by state, job and creation date."""
    with services().db.session() as db:
        org = current_organization_id()
        zone = organization_zone(db)
        query = (select(Interview).join(Installation)
                 .where(Installation.organization_id == org)
                 .order_by(Interview.created_at.desc(), Interview.id.desc()))
        query = _filter_sessions(db, query, zone)
        titles = db.scalars(select(Interview.job_title).distinct().join(Installation)
                            .where(Installation.organization_id == org)
                            .order_by(Interview.job_title).limit(500)).all()
        return render_page("admin/ops_sessions.html", db,
                           rows=paginate(db, query, scalars=True), states=list(InterviewState),
                           titles=titles)


def _filter_sessions(db: Session, query, zone: ZoneInfo):
    """Apply the search box and filters in SQL that means the same on SQLite and PostgreSQL."""
    search = request.args.get("q", "").strip()
    if len(search) > MAX_SEARCH_LENGTH:
        abort(400, f"a search has at most {MAX_SEARCH_LENGTH} characters")
    if search:
        needle = search.lower()
        query = query.where(
            _lower(db, Interview.candidate_name).contains(needle, autoescape=True)
            | _lower(db, Interview.candidate_email).contains(needle, autoescape=True))
    state = enum_arg("state", InterviewState)
    if state:
        query = query.where(Interview.state == state)
    title = request.args.get("job_title", "")
    if title:
        query = query.where(Interview.job_title == title)
    start, end = _day("created_from"), _day("created_to")
    if start and end and start > end:
        abort(400, "created_from is after created_to")
    if start:  # whole days in the organization's zone, compared as UTC instants
        query = query.where(Interview.created_at >= _midnight(start, zone))
    if end:
        query = query.where(Interview.created_at < _midnight(end + timedelta(days=1), zone))
    return query


def _lower(db: Session, column):
    """lower() that folds every letter: SQLite's built-in one folds only A to Z."""
    if db.get_bind().dialect.name != "sqlite":
        return func.lower(column)  # PostgreSQL folds by its ctype (UTF-8 here)
    raw = db.connection().connection.driver_connection
    raw.create_function("unicode_lower", 1, _py_lower, deterministic=True)
    return func.unicode_lower(column)


def _py_lower(value):
    return value.lower() if isinstance(value, str) else value


def _day(name: str) -> date | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, f"{name} must be a date (YYYY-MM-DD)")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone)

