"""/metrics in the Prometheus text format, computed from the database at scrape time.

gunicorn runs several worker processes and rq runs every job in a work horse of its own, so
counters kept in memory would each see a sliver: the rows are the one place that sees it all.
Figures are counts across every organization and carry no names and no candidate data.

The endpoint is not public: it answers a direct request from loopback, or one bearing
`Authorization: Bearer <METRICS_TOKEN>`; anything else gets 404.
"""

from __future__ import annotations

import hmac
import ipaddress
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import case, func, literal, select

from connector.models import (
    DeliveryStatus,
    Email,
    Installation,
    InterviewSession,
    OutboxStatus,
    Push,
    WebhookDelivery,
    utcnow,
)

bp = Blueprint("metrics", __name__)

LATENCY_WINDOW = timedelta(hours=1)
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)  # seconds
PENDING_DELIVERIES = (DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSING)
PENDING_PUSHES = (OutboxStatus.PENDING, OutboxStatus.SENDING)


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
    # A request a proxy passed on carries its client's address in a header: from loopback,
    # that is the proxy's own address, not the client's, so only a header-less one counts.
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


class DatabaseCollector(Collector):
    """Counts by state from the system of record, and how far behind the jobs are."""

    def __init__(self, db):
        self.db = db

    def collect(self):
        with self.db.session() as session:
            yield from self._counts(session)
            yield _latency(session, self.db.is_sqlite)
            yield from _backlog(session)

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
                       "state", InterviewSession.state)
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
