"""Leases: a live job keeps its row however long it runs; a job that cannot renew stops first.

Measured before: a killed work horse's delivery stayed `processing` under a 5-minute lease
and was done again 9 minutes after the kill. Here the lease is shortened to a second or two
so that a test sees it run out; the rules are the same at 30 s.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from connector.models import OutboxStatus, Push
from jobs import claims, leases
from jobs import queue as queues
from jobs.queue import InProcessQueue
from tests.test_sweeper import add_pushes

LEASE = timedelta(seconds=1.5)


@pytest.fixture
def short_leases(monkeypatch):
    monkeypatch.setattr(claims, "LEASE", LEASE)
    monkeypatch.setattr(leases, "LEASE", LEASE)
    monkeypatch.setattr(leases, "RENEW_SECONDS", 0.3)
    monkeypatch.setattr(leases, "MARGIN_SECONDS", 0.5)


release = threading.Event()


def hold_push(push_id: int) -> None:
    """Claim the push, then work on it until released, as a slow ATS call would."""
    from connector.services import current

    with current().db.session() as session:
        assert claims.claim(session, Push, push_id, OutboxStatus.PENDING, OutboxStatus.SENDING)
    release.wait(10)


def try_to_claim(services, push_id: int) -> bool:
    with services.db.session() as session:
        return claims.claim(session, Push, push_id, OutboxStatus.PENDING, OutboxStatus.SENDING)


def test_a_live_job_keeps_its_row_for_as_long_as_it_runs(services, short_leases, monkeypatch):
    monkeypatch.setitem(getattr(queues, "ROW_JOBS", {}), f"{__name__}.hold_push", "held")
    (push_id,) = add_pushes(services, 1)
    release.clear()
    queue = InProcessQueue(workers=1)
    queue.enqueue(f"{__name__}.hold_push", push_id)
    deadline = time.monotonic() + 3 * LEASE.total_seconds()
    try:
        while time.monotonic() < deadline:  # three leases long: it must be renewed
            time.sleep(0.2)
            assert not try_to_claim(services, push_id), "a second worker took a live job's row"
    finally:
        release.set()
        queue.shutdown()


def test_a_job_that_cannot_renew_is_stopped_before_its_lease_runs_out(services, short_leases,
                                                                       monkeypatch):
    (push_id,) = add_pushes(services, 1)
    stopped = threading.Event()

    def cannot_renew(self):
        raise OSError("no answer from the database")

    monkeypatch.setattr(leases.Holder, "renew", cannot_renew)
    with leases.hold(on_lapse=stopped.set):
        claimed_at = time.monotonic()
        assert try_to_claim(services, push_id)
        assert stopped.wait(5)
        stopped_after = time.monotonic() - claimed_at
    assert stopped_after < LEASE.total_seconds()
    assert not try_to_claim(services, push_id)  # and the lease it had is still in force


def test_a_job_lets_go_of_a_row_it_has_finished(services, short_leases):
    (push_id,) = add_pushes(services, 1)
    stopped = threading.Event()
    with leases.hold(on_lapse=stopped.set) as holder:
        assert try_to_claim(services, push_id)
        with services.db.session() as session:
            push = session.get(Push, push_id)
            push.status, push.lease_until = OutboxStatus.DELIVERED, None
        time.sleep(2 * LEASE.total_seconds())  # the job carries on with other things
        assert holder.rows == [] and not stopped.is_set()


LAPSING_WORKER = f"""
import time
from datetime import timedelta
from connector.models import Push
from jobs import leases, worker
leases.LEASE = timedelta(seconds={LEASE.total_seconds()})
leases.RENEW_SECONDS, leases.MARGIN_SECONDS = 0.3, 0.5
def cannot_renew(self):
    raise OSError("no answer from the database")
leases.Holder.renew = cannot_renew
with leases.hold(on_lapse=worker._end_now) as holder:  # as the worker holds each job's rows
    holder.claimed(leases.Claimed(Push, 1, "sending", 1), time.monotonic())
    print("claimed", flush=True)
    time.sleep(10)
    print("ran on", flush=True)
"""


def test_a_worker_whose_job_cannot_renew_ends_whole_before_the_lease_runs_out():
    process = subprocess.Popen([sys.executable, "-c", LAPSING_WORKER], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout.readline() == "claimed\n"
    claimed_at = time.monotonic()
    assert process.wait(timeout=10) != 0
    assert time.monotonic() - claimed_at < LEASE.total_seconds()
    assert process.stdout.read() == ""  # not a line of the job ran on
