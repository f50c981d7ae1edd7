"""Reminders and expiry as jobs: timed for each session, and run again by every sweep."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable
from datetime import datetime
from weakref import WeakKeyDictionary

from connector import lifecycle, tasks
from connector.interviews import Timers
from connector.models import utcnow
from connector.services import current

log = logging.getLogger("connector.jobs")

# A timer that fires a moment early finds nothing due; one second late costs nothing.
SLACK_SECONDS = 1.0
TIMER_BUCKET_SECONDS = 60  # a reminder due in hours may come a minute late
_timed: WeakKeyDictionary = WeakKeyDictionary()  # queue -> {(job, bucket end)} timed by it
_timed_lock = threading.Lock()


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
    """Ask the scheduler to run the reminder and expiry jobs when each session needs them.

    Timers due in the same TIMER_BUCKET share one job, timed for the bucket's end, so a burst
    of sessions costs a few timed jobs, not two each. Which buckets a queue has asked for is
    kept in this process only: another process asks again, and the job, run twice, finds
    nothing due the second time. Were a timed job lost, every sweep runs both jobs anyway.
    """
    now = now or utcnow()
    for timer in timers:
        if timer.reminder_at is not None:
            _time(queue, tasks.SEND_DUE_REMINDERS, timer.reminder_at, now)
        _time(queue, tasks.EXPIRE_DUE_SESSIONS, timer.deadline_at, now)


def _time(queue, path: str, moment: datetime, now: datetime) -> None:
    """Time `path` for the end of `moment`'s bucket, unless this queue did so already."""
    bucket = math.ceil(moment.timestamp() / TIMER_BUCKET_SECONDS) * TIMER_BUCKET_SECONDS
    with _timed_lock:
        asked = _timed.setdefault(queue, set())
        if (path, bucket) in asked:
            return
        asked -= {key for key in asked if key[1] < now.timestamp()}  # fired already
        asked.add((path, bucket))
    queue.enqueue_in(max(bucket - now.timestamp(), 0.0) + SLACK_SECONDS, path)
