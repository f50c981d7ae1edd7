"""Reminders and expiry as jobs: timed for each session, and run again by every sweep."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from connector import lifecycle, tasks
from connector.interviews import Timers
from connector.models import utcnow
from connector.services import current

log = logging.getLogger("connector.jobs")

# A timer that fires a moment early finds nothing due; one second late costs nothing.
SLACK_SECONDS = 1.0


def send_due_reminders() -> int:
    """Queue and send every reminder now due; returns how many were queued."""
    services = current()
    with services.db.session() as session:
        emails = lifecycle.send_reminders(session, services.keyring,
                                          services.settings.public_base_url)
        email_ids = [email.id for email in emails]
    enqueue_rows(services.queue, email_ids=email_ids)
    if email_ids:
        log.info("lifecycle.reminders queued=%s", len(email_ids))
    return len(email_ids)


def expire_due_sessions() -> int:
    """Expire every session past its deadline and send the ATS notes; returns how many."""
    services = current()
    with services.db.session() as session:
        push_ids = [push.id for push in lifecycle.expire_due(session)]
    enqueue_rows(services.queue, push_ids=push_ids)
    if push_ids:
        log.info("lifecycle.expired sessions=%s", len(push_ids))
    return len(push_ids)


def enqueue_rows(queue, email_ids: Iterable[int] = (), push_ids: Iterable[int] = ()) -> None:
    """Start the jobs for freshly committed outbox rows (the sweeper retries any lost)."""
    for email_id in email_ids:
        queue.enqueue(tasks.SEND_EMAIL, email_id)
    for push_id in push_ids:
        queue.enqueue(tasks.DELIVER_PUSH, push_id)


def schedule(queue, timers: Iterable[Timers], now: datetime | None = None) -> None:
    """Ask the scheduler to run the reminder and expiry jobs when each session needs them."""
    now = now or utcnow()
    for timer in timers:
        if timer.reminder_at is not None:
            queue.enqueue_in(_seconds_until(timer.reminder_at, now),
                             tasks.SEND_DUE_REMINDERS)
        queue.enqueue_in(_seconds_until(timer.deadline_at, now),
                         tasks.EXPIRE_DUE_SESSIONS)


def _seconds_until(moment: datetime, now: datetime) -> float:
    return max((moment - now).total_seconds(), 0.0) + SLACK_SECONDS
