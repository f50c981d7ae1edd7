"""Redis loses everything: FLUSHDB in the middle of a burst, then the server stopped and started.

The rows in PostgreSQL are the record. Every row whose job Redis lost is queued again within
LOST_JOB_BOUND (jobs.sweeper), never twice (jobs.queue), and each event still ends with one
session, one e-mail and one note.
"""

from __future__ import annotations

from tests.faults import scenarios

BURST = 100  # events; with their e-mails and notes, 300 rows: a backlog, yet seconds of work


def test_flushdb_mid_burst_loses_no_event(stack):
    recovery = scenarios.flushdb(stack, BURST)
    details = recovery.details
    print(f"\n{recovery.fault}: {details['rows']} waiting rows queued again in "
          f"{recovery.seconds:.1f} s (bound {recovery.bound:.0f} s); all done "
          f"{details['all_done']:.1f} s after the flush")
    assert recovery.seconds <= recovery.bound
    assert details["queued"] <= details["open"]  # one job a row, at most
    stack.assert_once(recovery.events)


def test_redis_stopped_and_started_loses_no_event(stack):
    recovery = scenarios.redis_restart(stack)
    print(f"\n{recovery.fault}: waiting rows queued again {recovery.seconds:.1f} s after it "
          f"came back (bound {recovery.bound:.0f} s)")
    assert recovery.seconds <= recovery.bound
    stack.assert_once(recovery.events)
    assert recovery.details["workers_alive"]  # none quit
