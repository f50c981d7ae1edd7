"""Deliver one outbox row to its ATS, retrying what may pass later and stopping on what won't."""

from __future__ import annotations

import logging
from datetime import timedelta

from adapters.base import Outcome
from adapters.http import ApiError, RateLimited
from connector.installations import adapter_for
from connector.models import Installation, InstallationStatus, OutboxStatus, Push, utcnow
from connector.services import current
from jobs.claims import backoff_seconds, claim

log = logging.getLogger("connector.jobs")

MAX_ATTEMPTS = 10


def deliver_push(push_id: int) -> None:
    """Write one note (or other outcome) to the ATS, at most once where the ATS lets us check."""
    services = current()
    with services.db.session() as session:
        if not claim(session, Push, push_id, OutboxStatus.PENDING, OutboxStatus.SENDING):
            return
        push = session.get(Push, push_id)
        installation = session.get(Installation, push.installation_id)
        adapter = adapter_for(installation, services.keyring, services.settings.production)
        outcome, first_attempt, ats = Outcome(**push.payload), push.attempts == 1, installation.ats
    try:
        receipt = adapter.push(outcome, first_attempt=first_attempt)
    except ApiError as exc:
        _record_failure(services, push_id, exc)
        log.warning("%s.push.failed push=%s error=%s", ats, push_id, type(exc).__name__)
        return
    with services.db.session() as session:
        push = session.get(Push, push_id)
        push.status, push.external_id = OutboxStatus.DELIVERED, receipt.external_id
        push.delivered_at, push.lease_until, push.last_error = utcnow(), None, None
    log.info("%s.push.delivered push=%s kind=%s", ats, push_id, outcome.kind)


def _record_failure(services, push_id: int, error: ApiError) -> None:
    """Schedule the next try, or stop for good and tell the admin why."""
    with services.db.session() as session:
        push = session.get(Push, push_id)
        push.last_error, push.lease_until = str(error)[:1000], None
        if not error.retryable or push.attempts >= MAX_ATTEMPTS:
            push.status = OutboxStatus.FAILED
            if not error.retryable:
                installation = session.get(Installation, push.installation_id)
                installation.status = InstallationStatus.NEEDS_ATTENTION
                installation.attention_reason = f"{type(error).__name__}: {str(error)[:500]}"
            return
        delay = backoff_seconds(push.attempts)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        push.status = OutboxStatus.PENDING
        push.next_attempt_at = utcnow() + timedelta(seconds=delay)
    services.queue.enqueue_in(delay, "jobs.pushes.deliver_push", push_id)
