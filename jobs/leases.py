"""A running job's hold on the rows it claimed: renewed while it runs, and never outlived.

A claim leases its row for LEASE. While the job runs, a beat renews the lease every
RENEW_SECONDS, so a live job keeps its row however long it takes. A job whose process died
stops renewing, and its row is free for the sweeper at most LEASE after the death.

A job that cannot renew (its database does not answer) must not run on past its lease, or a
second worker could take the row while it still acts: `on_lapse` ends it MARGIN before then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update

from connector.models import utcnow

log = logging.getLogger("connector.jobs")

LEASE = timedelta(seconds=30)
RENEW_SECONDS = 10.0  # two renewals may fail before the lease is in danger
MARGIN_SECONDS = 5.0  # clocks of two machines, and the time a process takes to die


@dataclass(frozen=True)
class Claimed:
    model: type
    row_id: int
    working: object  # the status the row holds while this job works on it
    attempts: int  # which claim of the row is ours


class Holder:
    """The rows one job holds, the beat that renews them, and the deadline if it cannot."""

    def __init__(self, on_lapse: Callable[[], None] | None):
        self.on_lapse = on_lapse
        self.rows: list[Claimed] = []
        self._lock = threading.Lock()
        self._deadline: threading.Timer | None = None

    def claimed(self, row: Claimed, leased_at: float) -> None:
        """A claim committed its lease, taken at `leased_at` (time.monotonic())."""
        with self._lock:
            self.rows.append(row)
        self._arm(leased_at)

    def renew(self) -> None:
        """Push every held row's lease on; forget rows this job no longer holds."""
        from connector.services import current

        leased_at = time.monotonic()
        with current().db.session() as session:
            kept = [row for row in list(self.rows) if _renew(session, row)]
        with self._lock:
            self.rows = kept
        if kept:
            self._arm(leased_at)
        else:
            self._disarm()

    def close(self) -> None:
        self._disarm()

    def _arm(self, leased_at: float) -> None:
        # Counted from before the lease was written: a slow commit cannot stretch it.
        delay = leased_at + LEASE.total_seconds() - MARGIN_SECONDS - time.monotonic()
        timer = threading.Timer(max(delay, 0.0), self._lapse)
        timer.daemon = True
        with self._lock:
            old, self._deadline = self._deadline, timer
        if old is not None:
            old.cancel()
        timer.start()

    def _disarm(self) -> None:
        with self._lock:
            old, self._deadline = self._deadline, None
        if old is not None:
            old.cancel()

    def _lapse(self) -> None:
        log.error("jobs.lease-lapsing rows=%s: stopping the job before another worker may "
                  "take them", [f"{r.model.__tablename__}:{r.row_id}" for r in self.rows])
        if self.on_lapse is not None:
            self.on_lapse()


_holder: ContextVar[Holder | None] = ContextVar("connector_lease_holder", default=None)


def current_holder() -> Holder | None:
    """The holder of the job running in this thread, if the runner keeps its leases."""
    return _holder.get()


@contextmanager
def hold(on_lapse: Callable[[], None] | None = None) -> Iterator[Holder]:
    """Keep the rows a job claims leased for as long as the job runs."""
    holder = Holder(on_lapse)
    token = _holder.set(holder)
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(holder, stop), name="connector-lease",
                            daemon=True)
    beat.start()
    try:
        yield holder
    finally:
        stop.set()
        holder.close()
        _holder.reset(token)


def _beat(holder: Holder, stop: threading.Event) -> None:
    while not stop.wait(RENEW_SECONDS):
        if not holder.rows:
            continue
        try:
            holder.renew()
        except Exception:  # the deadline timer decides what a failed renewal costs
            log.warning("jobs.lease-renew-failed", exc_info=True)


def _renew(session, row: Claimed) -> bool:
    model = row.model
    result = session.execute(
        update(model)
        .where(model.id == row.row_id, model.status == row.working,
               model.attempts == row.attempts)
        .values(lease_until=utcnow() + LEASE)
    )
    return result.rowcount == 1
