"""A running job's hold on the rows it claimed: renewed while it runs, and never outlived.

A claim leases its row for LEASE. While the job runs, its rows' leases are renewed every
RENEW_SECONDS, so a live job keeps its row however long it takes. A job whose process died
stops renewing, and its row is free for the sweeper at most LEASE after the death.

A job that cannot renew (its database does not answer) must not run on past its lease, or a
second worker could take the row while it still acts: `on_lapse` ends it MARGIN before then.

Two threads per process serve every job, started with the first: the renewer, which may wait
on a database that does not answer, and the watch, which never waits on anything and so
always sees a deadline come. A job starts no thread of its own.
"""

from __future__ import annotations

import logging
import os
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
    """The rows one job holds, when to renew them, and the deadline if it cannot."""

    def __init__(self, on_lapse: Callable[[], None] | None):
        self.on_lapse = on_lapse
        self.rows: list[Claimed] = []
        self.deadline: float | None = None  # time.monotonic() at which the job must end
        self.renew_at = time.monotonic() + RENEW_SECONDS

    def claimed(self, row: Claimed, leased_at: float) -> None:
        """A claim committed its lease, taken at `leased_at` (time.monotonic())."""
        with _changed:
            self.rows.append(row)
        self._arm(leased_at)

    def renew(self) -> None:
        """Push every held row's lease on; forget rows this job no longer holds."""
        from connector.services import current

        leased_at = time.monotonic()
        with current().db.session() as session:
            kept = [row for row in list(self.rows) if _renew(session, row)]
        with _changed:
            self.rows = kept
        if kept:
            self._arm(leased_at)
        else:
            self._disarm()

    def close(self) -> None:
        self._disarm()

    def _arm(self, leased_at: float) -> None:
        # Counted from before the lease was written: a slow commit cannot stretch it.
        with _changed:
            self.deadline = leased_at + LEASE.total_seconds() - MARGIN_SECONDS
            _changed.notify_all()

    def _disarm(self) -> None:
        with _changed:
            self.deadline = None

    def _lapse(self) -> None:
        log.error("jobs.lease-lapsing rows=%s: stopping the job before another worker may "
                  "take them", [f"{r.model.__tablename__}:{r.row_id}" for r in self.rows])
        if self.on_lapse is not None:
            self.on_lapse()


_holder: ContextVar[Holder | None] = ContextVar("connector_lease_holder", default=None)
_holders: set[Holder] = set()
_changed = threading.Condition()  # guards _holders and every holder's rows and times
_started = False


def current_holder() -> Holder | None:
    """The holder of the job running in this thread, if the runner keeps its leases."""
    return _holder.get()


@contextmanager
def hold(on_lapse: Callable[[], None] | None = None) -> Iterator[Holder]:
    """Keep the rows a job claims leased for as long as the job runs."""
    holder = Holder(on_lapse)
    token = _holder.set(holder)
    _register(holder)
    try:
        yield holder
    finally:
        with _changed:
            _holders.discard(holder)
        holder.close()
        _holder.reset(token)


def _register(holder: Holder) -> None:
    global _started
    with _changed:
        _holders.add(holder)
        if not _started:
            _started = True
            for name, due, act in (("connector-lease-watch", _deadline_of, _lapse),
                                   ("connector-lease-renew", _renewal_of, _renew_rows)):
                threading.Thread(target=_serve, args=(due, act), name=name, daemon=True).start()
        _changed.notify_all()


def _serve(due: Callable[[Holder], float | None], act: Callable[[Holder], None]) -> None:
    """For ever: wait until some holder's `due` time has come, then `act` on it."""
    while True:
        with _changed:
            now = time.monotonic()
            times = {holder: due(holder) for holder in _holders}
            ready = [holder for holder, at in times.items() if at is not None and at <= now]
            if not ready:
                pending = [at for at in times.values() if at is not None]
                _changed.wait(min(pending) - now if pending else None)
                continue
        for holder in ready:
            act(holder)


def _deadline_of(holder: Holder) -> float | None:
    return holder.deadline


def _lapse(holder: Holder) -> None:
    with _changed:
        holder.deadline = None  # once
    holder._lapse()


def _renewal_of(holder: Holder) -> float | None:
    return holder.renew_at if holder.rows else None


def _renew_rows(holder: Holder) -> None:
    with _changed:
        holder.renew_at = time.monotonic() + RENEW_SECONDS
    try:
        holder.renew()
    except Exception:  # the watch decides what a failed renewal costs
        log.warning("jobs.lease-renew-failed", exc_info=True)


def _forget_after_fork() -> None:
    """A forked child has none of its parent's threads: it starts its own with its first job."""
    global _changed, _started
    _changed, _started = threading.Condition(), False
    _holders.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def _renew(session, row: Claimed) -> bool:
    model = row.model
    result = session.execute(
        update(model)
        .where(model.id == row.row_id, model.status == row.working,
               model.attempts == row.attempts)
        .values(lease_until=utcnow() + LEASE)
    )
    return result.rowcount == 1
