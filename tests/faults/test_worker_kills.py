"""SIGKILL of a worker, and two SIGTERMs to another, each in the middle of a push.

Two of three workers are each held inside a push that the ATS has written but not yet
answered; then one is killed and the other stopped at once (a second SIGTERM). The third
worker's sweeper takes the two rows up once their leases run out, and the retry finds the note
already written.
Measured before: a killed work horse's delivery was done again 9 minutes after the kill.
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
    assert recoveries[0].details["survived"]  # a worker beside the dead ones carries on
