"""SIGKILL of a work horse, of a worker alone, and of both, each in the middle of a push.

Each of three workers is held inside a push that the ATS has written but not yet answered;
then one loses its horse, one its parent, one both. A surviving parent's sweeper takes the
rows up once their leases run out, and the retry finds the note already written.
Measured before: a killed horse's delivery was done again 9 minutes after the kill.
"""

from __future__ import annotations

from tests.faults import scenarios


def test_killed_workers_lose_no_event_and_do_nothing_twice(stack):
    recoveries = scenarios.kill_workers(stack)
    for recovery in recoveries:
        print(f"\n{recovery.fault}: done again {recovery.seconds:.1f} s after the kill "
              f"(bound {recovery.bound:.0f} s)", end="")
        assert recovery.seconds <= recovery.bound
        stack.assert_once(recovery.events)
    assert recoveries[0].details["survived"]  # a worker whose horse died carries on
