"""The retention schedule as a job: purge what is due, a few minutes apart, from every sweep."""

from __future__ import annotations

import logging
import os
import threading
import time
from weakref import WeakKeyDictionary

from connector import tasks
from connector.privacy import retention
from connector.services import current

log = logging.getLogger("connector.jobs")

# A candidate's confirmed request is carried out within this (plus one run) of falling due.
PURGE_EVERY_SECONDS = 300
PURGE_SLOT = "connector:purge"
# One run stops starting batches after this, well within the queue's job timeout; what is
# left waits for the next run.
RUN_BUDGET_SECONDS = 60
BATCH = 50

_last_run: WeakKeyDictionary = WeakKeyDictionary()  # an in-process queue -> monotonic time
_lock = threading.Lock()


def purge_due_data() -> dict[str, int]:
    """Erase every interview past its retention period or its candidate's request; count them."""
    services = current()
    totals: dict[str, int] = {}
    started = time.monotonic()
    while True:
        counts = retention.purge_due(services.db, services.storage, batch=BATCH)
        for name, count in counts.items():
            totals[name] = totals.get(name, 0) + count
        more = max(counts["requested"], counts["retention"]) >= BATCH \
            or counts["deliveries"] >= retention.DELIVERY_PAGE
        if not more or time.monotonic() - started > RUN_BUDGET_SECONDS:
            break
    if any(totals.values()):
        log.info("privacy.purged %s", " ".join(f"{k}={v}" for k, v in sorted(totals.items())))
    return totals


def purge_when_due() -> int:
    """From the sweeper: queue the purge when no worker did in the last PURGE_EVERY_SECONDS."""
    queue = current().queue
    if not _claim(queue):
        return 0
    queue.enqueue(tasks.PURGE_DUE_DATA)
    return 1


def _claim(queue) -> bool:
    """Take the next run's slot: shared through Redis by all workers, else this process's own."""
    connection = getattr(queue, "connection", None)
    if connection is not None:
        return bool(connection.set(PURGE_SLOT, os.getpid(), nx=True,
                                   px=PURGE_EVERY_SECONDS * 1000))
    with _lock:
        now = time.monotonic()
        if now - _last_run.get(queue, -PURGE_EVERY_SECONDS) < PURGE_EVERY_SECONDS:
            return False
        _last_run[queue] = now
        return True
