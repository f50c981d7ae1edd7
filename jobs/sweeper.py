"""Re-enqueue every row that should be moving but is not, and run the due reminders and expiries.

Redis may have lost a job, a worker may have died holding a row, and a timed reminder or
expiry may never fire: every sweep sees to all three. It runs beside the work queue, never in
it (a sweep queued behind a backlog comes too late), once per SWEEP_INTERVAL across all
workers. Enqueueing a row whose job still waits adds nothing (jobs.queue), so sweeping often
costs little and never multiplies a backlog.

Bounds, with a worker alive:
- a row whose job Redis lost is queued again within LOST_JOB_BOUND of becoming due;
- a row whose worker died holding it is queued again within DEAD_WORKER_BOUND of the death.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select

from connector import tasks
from connector.models import DeliveryStatus, Email, OutboxStatus, Push, WebhookDelivery, utcnow
from connector.services import current
from jobs.claims import LEASE
from jobs.lifecycle import expire_due_sessions, send_due_reminders
from jobs.privacy import purge_when_due

log = logging.getLogger("connector.jobs")

SWEEP_INTERVAL_SECONDS = 15
SWEEP_TICK_SECONDS = 3  # each worker asks this often whether a sweep is due
# A fresh row's own job gets this long to be enqueued by whoever wrote the row; sweeping it
# sooner would only be refused as a duplicate.
REQUEUE_AFTER = timedelta(seconds=5)
LOST_JOB_BOUND = REQUEUE_AFTER + timedelta(seconds=SWEEP_INTERVAL_SECONDS + SWEEP_TICK_SECONDS)
DEAD_WORKER_BOUND = LEASE + timedelta(seconds=SWEEP_INTERVAL_SECONDS + SWEEP_TICK_SECONDS)
# How late a due row may be before metrics and the health page call it overdue.
GRACE = timedelta(seconds=60)
BATCH = 500

DELIVERY_JOB, PUSH_JOB, EMAIL_JOB = (tasks.PROCESS_DELIVERY,
                                     tasks.DELIVER_PUSH, tasks.SEND_EMAIL)


def sweep() -> dict[str, int]:
    """Enqueue stuck rows again; send due reminders; expire sessions; now and then, purge."""
    services = current()
    now = utcnow()
    with services.db.session() as session:
        waiting = {DELIVERY_JOB: _waiting_deliveries(session, now),
                   PUSH_JOB: _waiting(session, Push, now), EMAIL_JOB: _waiting(session, Email, now)}
        dead = {DELIVERY_JOB: _lapsed(session, WebhookDelivery, DeliveryStatus.PROCESSING, now),
                PUSH_JOB: _lapsed(session, Push, OutboxStatus.SENDING, now),
                EMAIL_JOB: _lapsed(session, Email, OutboxStatus.SENDING, now)}
    for job, row_ids in waiting.items():
        for row_id in row_ids:
            services.queue.enqueue(job, row_id)
    for job, row_ids in dead.items():
        for row_id in row_ids:  # its job may still be marked started: its worker is gone
            services.queue.recover(job, row_id)
    counts = {name: len(waiting[job]) + len(dead[job]) for name, job in
              (("deliveries", DELIVERY_JOB), ("pushes", PUSH_JOB), ("emails", EMAIL_JOB))}
    counts["reminders"] = _lifecycle(send_due_reminders)
    counts["expired"] = _lifecycle(expire_due_sessions)
    counts["purges"] = _lifecycle(purge_when_due)  # at most one every few minutes
    if any(counts.values()):
        log.info("sweeper.swept %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


def _lifecycle(job) -> int:
    """Run one lifecycle job; a failure is logged so that it does not stop the other."""
    try:
        return job()
    except Exception:
        log.exception("sweeper.failed job=%s", job.__name__)
        return 0


def _waiting_deliveries(session, now) -> list[int]:
    """Deliveries waiting for a try whose job may have been lost, once past any backoff."""
    settled = now - REQUEUE_AFTER
    return session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.status == DeliveryStatus.RECEIVED, WebhookDelivery.received_at <= settled,
        or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until <= settled),
    ).order_by(WebhookDelivery.id).limit(BATCH)).all()


def _waiting(session, model, now) -> list[int]:
    """Outbox rows due a while ago whose job may have been lost."""
    return session.scalars(select(model.id).where(
        model.status == OutboxStatus.PENDING, model.next_attempt_at <= now - REQUEUE_AFTER,
    ).order_by(model.id).limit(BATCH)).all()


def _lapsed(session, model, working, now) -> list[int]:
    """Rows whose job stopped renewing its lease: that job's worker is dead."""
    return session.scalars(select(model.id).where(
        model.status == working, model.lease_until < now,
    ).order_by(model.id).limit(BATCH)).all()
