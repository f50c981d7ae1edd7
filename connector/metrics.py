"""/metrics in the Prometheus text format, computed from the database at scrape time.

gunicorn runs several worker processes and jobs run in several `connector worker`s, so
counters kept in memory would each see a sliver: the rows are the one place that sees it all.
Figures are counts across every organization and carry no names and no candidate data.

The endpoint is not public: it answers a direct request from loopback, or one bearing
`Authorization: Bearer <METRICS_TOKEN>`; anything else gets 404.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Integer, and_, case, cast, func, literal, literal_column, null, select

from connector.models import (
    DeliveryStatus,
    Email,
    Installation,
    Interview,
    OutboxStatus,
    Push,
    WebhookDelivery,
    utcnow,
)
from jobs.sweeper import GRACE

bp = Blueprint("metrics", __name__)

LATENCY_WINDOW = timedelta(hours=1)
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)  # seconds
PENDING_DELIVERIES = (DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSING)
PENDING_PUSHES = (OutboxStatus.PENDING, OutboxStatus.SENDING)
FORWARDING_HEADERS = frozenset({
    "forwarded", "via", "x-real-ip", "x-client-ip", "true-client-ip", "cf-connecting-ip",
    "fastly-client-ip", "x-cluster-client-ip", "x-original-forwarded-for"})
# Why a row is stuck: its worker's lease ran out, its next try is past due (and past the
# sweeper's grace), or it has been tried more than once and is still not through.
STALLED, OVERDUE, RETRYING = "stalled", "overdue", "retrying"


@bp.get("/metrics")
def metrics():
    """The figures, for a scraper on this machine or one holding the metrics token."""
    services = current_app.extensions["connector"]
    if not _allowed(services.settings.metrics_token):
        abort(404)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(services.db))
    response = Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def _allowed(token: str | None) -> bool:
    """A bearer token that matches, or a request made straight from loopback."""
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer "):
        return hmac.compare_digest(given.removeprefix("Bearer ").encode(), token.encode())
    # A request a proxy passed on names its client in a header: from loopback, that is the
    # proxy's own address, not the client's. No such header is trusted here, whichever it is.
    if any(_forwarding(name) for name in request.headers.keys()):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _forwarding(header: str) -> bool:
    """Whether a proxy sets this header to pass on its client or the route it came by."""
    name = header.lower()
    return name in FORWARDING_HEADERS or name.startswith("x-forwarded-")


class DatabaseCollector(Collector):
    """Counts by state from the system of record, and how far behind the jobs are."""

    def __init__(self, db):
        self.db = db

    def collect(self):
        with self.db.session() as session:
            yield from self._counts(session)
            yield _latency(session, self.db.is_sqlite)
            yield from _backlog(session)
            yield _stuck(session)

    def _counts(self, session):
        deliveries = GaugeMetricFamily(
            "connector_webhook_deliveries", "Stored webhook deliveries by ATS and status.",
            labels=["ats", "status"])
        for ats, status, count in session.execute(
                select(Installation.ats, WebhookDelivery.status, func.count())
                .join(Installation).group_by(Installation.ats, WebhookDelivery.status)):
            deliveries.add_metric([ats, status.value], count)
        yield deliveries
        pushes = GaugeMetricFamily(
            "connector_pushes", "Pushes to the ATS (the outbox) by ATS, kind and status.",
            labels=["ats", "kind", "status"])
        for ats, kind, status, count in session.execute(
                select(Installation.ats, Push.kind, Push.status, func.count())
                .join(Installation).group_by(Installation.ats, Push.kind, Push.status)):
            pushes.add_metric([ats, kind, status.value], count)
        yield pushes
        yield _grouped(session, "connector_emails", "E-mails by status.", "status", Email.status)
        yield _grouped(session, "connector_interview_sessions", "Interview sessions by state.",
                       "state", Interview.state)
        installations = GaugeMetricFamily(
            "connector_installations", "Installations by ATS and status.",
            labels=["ats", "status"])
        for ats, status, count in session.execute(
                select(Installation.ats, Installation.status, func.count())
                .group_by(Installation.ats, Installation.status)):
            installations.add_metric([ats, status.value], count)
        yield installations


def _grouped(session, name: str, documentation: str, label: str, column) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for value, count in session.execute(select(column, func.count()).group_by(column)):
        family.add_metric([value.value], count)
    return family


def _seconds_between(start, end, sqlite: bool):
    """end - start in seconds, as SQL: SQLite keeps times as text, PostgreSQL as timestamps."""
    if sqlite:
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _latency(session, sqlite: bool) -> GaugeHistogramMetricFamily:
    """processed_at - received_at of the deliveries processed in the last hour, bucketed in SQL."""
    seconds = _seconds_between(WebhookDelivery.received_at, WebhookDelivery.processed_at, sqlite)
    columns = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in LATENCY_BUCKETS]
    row = session.execute(
        select(*columns, func.count(), func.coalesce(func.sum(seconds), literal(0.0)))
        .where(WebhookDelivery.processed_at >= utcnow() - LATENCY_WINDOW)).one()
    *in_buckets, count, total = row
    buckets = [(str(float(bound)), int(n or 0)) for bound, n in zip(LATENCY_BUCKETS, in_buckets)]
    buckets.append(("+Inf", int(count)))
    return GaugeHistogramMetricFamily(
        "connector_delivery_processing_seconds",
        "Seconds from receiving a webhook delivery to processing it, over the last hour.",
        buckets=buckets, gsum_value=float(total or 0))


def _backlog(session):
    """The age of the oldest delivery and push still waiting: what an alert should watch."""
    now = utcnow()
    oldest_delivery = session.scalar(select(func.min(WebhookDelivery.received_at))
                                     .where(WebhookDelivery.status.in_(PENDING_DELIVERIES)))
    oldest_push = session.scalar(select(func.min(Push.created_at))
                                 .where(Push.status.in_(PENDING_PUSHES)))
    for name, what, oldest in (
            ("connector_oldest_pending_delivery_age_seconds", "webhook delivery", oldest_delivery),
            ("connector_oldest_pending_push_age_seconds", "push to the ATS", oldest_push)):
        yield GaugeMetricFamily(
            name, f"Age of the oldest {what} not yet done; 0 when none waits.",
            value=_age(now, oldest))


def _age(now, oldest) -> float:
    # min() keeps its column's type, so SQLite's stored text comes back as an aware datetime.
    return 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)


def _stuck(session) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "connector_stuck_rows", "Deliveries, pushes and e-mails not moving as they should, "
        "as the admin's health page counts them.", labels=["what", "why"])
    totals: dict[tuple[str, str], int] = {}
    for row in stuck_rows(session):
        totals[row.what, row.why] = totals.get((row.what, row.why), 0) + row.count
    for labels, count in sorted(totals.items()):
        family.add_metric(list(labels), count)
    return family


@dataclass(frozen=True)
class Stuck:
    """Rows of one installation stuck for one reason: how many, since when, the last error."""

    installation_id: int
    what: str  # "delivery", "note", "move" or "email"
    why: str  # STALLED, OVERDUE or RETRYING
    count: int
    since: datetime  # when the oldest of them was received or created
    attempts: int  # the most tries any of them has had
    last_error: str | None


def delivery_stuck(now: datetime):
    """Why a delivery is stuck, as SQL (NULL when it is not): what the sweeper picks up again."""
    return case(
        (and_(WebhookDelivery.status == DeliveryStatus.PROCESSING,
              WebhookDelivery.lease_until < now), STALLED),
        (and_(WebhookDelivery.status == DeliveryStatus.RECEIVED,
              WebhookDelivery.received_at <= now - GRACE), OVERDUE),
        (and_(WebhookDelivery.status.in_(PENDING_DELIVERIES), WebhookDelivery.attempts > 1),
         RETRYING))


def outbox_stuck(model, now: datetime):
    """Why a push or e-mail is stuck, as SQL (NULL when it is not), as the sweeper sees it."""
    return case(
        (and_(model.status == OutboxStatus.SENDING, model.lease_until < now), STALLED),
        (and_(model.status == OutboxStatus.PENDING, model.next_attempt_at <= now - GRACE),
         OVERDUE),
        (and_(model.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
              model.attempts > 1), RETRYING))


def stuck_rows(session, organization_id: int | None = None) -> list[Stuck]:
    """Stuck rows by installation, kind and reason; one organization's, or everyone's."""
    now = utcnow()
    push_kind = case((Push.kind == literal_column("'move'"), literal_column("'move'")),
                     else_=literal_column("'note'"))
    queries = (
        ("delivery", WebhookDelivery.installation_id, _each_stuck(
            WebhookDelivery, delivery_stuck(now), literal_column("'delivery'"),
            WebhookDelivery.received_at, None, WebhookDelivery.installation_id)),
        ("push", Push.installation_id, _each_stuck(
            Push, outbox_stuck(Push, now), push_kind, Push.created_at, Push.last_error,
            Push.installation_id)),
        ("email", Interview.installation_id, _each_stuck(
            Email, outbox_stuck(Email, now), literal_column("'email'"), Email.created_at,
            Email.last_error, Interview.installation_id)
         .join(Interview, Email.session_id == Interview.id)),
    )
    found = []
    for table, installation_id, rows in queries:
        if organization_id is not None:
            rows = rows.join(Installation, Installation.id == installation_id) \
                .where(Installation.organization_id == organization_id)
        found += [(table, group) for group in session.execute(_by_reason(rows.subquery()))]
    errors = _last_errors(session, found)
    return [Stuck(g.installation_id, g.what, g.why, g.count, g.since, g.attempts,
                  errors.get((table, g.error_id))) for table, g in found]


def _each_stuck(model, why, what, since, error, installation_id):
    """A model's stuck rows one by one: what the health page says of each."""
    error_id = cast(null(), Integer) if error is None else case((error.isnot(None), model.id))
    return (select(installation_id.label("installation_id"), what.label("what"),
                   why.label("why"), since.label("since"), model.attempts.label("attempts"),
                   error_id.label("error_id"))
            .select_from(model).where(why.isnot(None)))


def _by_reason(rows):
    # Grouped outside the subquery: PostgreSQL binds parameters on the server, so it would not
    # see the SELECT's and the GROUP BY's copies of an expression as the same.
    return (select(rows.c.installation_id, rows.c.what, rows.c.why,
                   func.count().label("count"), func.min(rows.c.since).label("since"),
                   func.max(rows.c.attempts).label("attempts"),
                   func.max(rows.c.error_id).label("error_id"))
            .group_by(rows.c.installation_id, rows.c.what, rows.c.why))


def _last_errors(session, found: list) -> dict[tuple[str, int], str]:
    """The error of each group's newest failed row, keyed by its table and id."""
    errors = {}
    for table, model in (("push", Push), ("email", Email)):
        ids = [group.error_id for name, group in found if name == table and group.error_id]
        if ids:
            errors |= {(table, row_id): error for row_id, error in session.execute(
                select(model.id, model.last_error).where(model.id.in_(ids)))}
    return errors
