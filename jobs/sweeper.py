"""Re-enqueue every row that should be moving but is not, and run the due reminders and expiries.

Redis may have lost a job, and a timed reminder or expiry may never fire: every sweep does both.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import and_, or_, select

from connector.models import DeliveryStatus, Email, OutboxStatus, Push, WebhookDelivery, utcnow
from connector.services import current
from jobs.lifecycle import expire_due_sessions, send_due_reminders

log = logging.getLogger("connector.jobs")

GRACE = timedelta(seconds=60)  # a fresh row's own job gets this long to start
BATCH = 500
SWEEP_INTERVAL_SECONDS = 60


def sweep() -> dict[str, int]:
    """Enqueue stuck deliveries, pushes and e-mails again; send due reminders; expire sessions."""
    services = current()
    now = utcnow()
    with services.db.session() as session:
        deliveries = session.scalars(select(WebhookDelivery.id).where(or_(
            and_(WebhookDelivery.status == DeliveryStatus.RECEIVED,
                 WebhookDelivery.received_at <= now - GRACE),
            and_(WebhookDelivery.status == DeliveryStatus.PROCESSING,
                 WebhookDelivery.lease_until < now),
        )).order_by(WebhookDelivery.id).limit(BATCH)).all()
        pushes = _due(session, Push, now)
        emails = _due(session, Email, now)
    for delivery_id in deliveries:
        services.queue.enqueue("jobs.deliveries.process_delivery", delivery_id)
    for push_id in pushes:
        services.queue.enqueue("jobs.pushes.deliver_push", push_id)
    for email_id in emails:
        services.queue.enqueue("jobs.emails.send_email", email_id)
    counts = {"deliveries": len(deliveries), "pushes": len(pushes), "emails": len(emails)}
    counts["reminders"] = _lifecycle(send_due_reminders)
    counts["expired"] = _lifecycle(expire_due_sessions)
    if any(counts.values()):
        log.info("sweeper.requeued %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


def _lifecycle(job) -> int:
    """Run one lifecycle job; a failure is logged so that it does not stop the other."""
    try:
        return job()
    except Exception:
        log.exception("sweeper.failed job=%s", job.__name__)
        return 0


def _due(session, model, now) -> list[int]:
    """Outbox rows past their next attempt (and grace), or whose worker's lease ran out."""
    return session.scalars(select(model.id).where(or_(
        and_(model.status == OutboxStatus.PENDING, model.next_attempt_at <= now - GRACE),
        and_(model.status == OutboxStatus.SENDING, model.lease_until < now),
    )).order_by(model.id).limit(BATCH)).all()
