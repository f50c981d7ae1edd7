"""SIGKILL of a work horse, of a worker alone, and of both, each in the middle of a push.

Each of three workers is held inside a push that the ATS has written but not yet answered;
then one loses its horse, one its parent, one both. The surviving parent's sweeper takes the
rows up once their leases run out, and the retry finds the note already written.
Measured before: a killed horse's delivery was done again 9 minutes after the kill.
"""

from __future__ import annotations

import time

from jobs.sweeper import DEAD_WORKER_BOUND
from tests.faults.processes import alive, children, kill, wait_for
from tests.faults.stack import CANDIDATE

RUN_SLACK = 5  # seconds: a worker to take the job up and call the ATS


def test_killed_workers_lose_no_event_and_do_nothing_twice(stack):
    events, held = stack.new_events(3), stack.ats.held
    for n in events:
        stack.ats.script(CANDIDATE + n, "hold")
    assert stack.post_all(events) == [200] * 3
    wait_for(lambda: stack.ats.held == held + 3, 60, "every worker to be inside a push")
    horse_only, parent_only, both = stack.workers.running()
    horses = {w.pid: wait_for(lambda w=w: children(w.pid), 10, "a work horse")
              for w in (horse_only, parent_only, both)}

    killed_at = time.monotonic()
    kill(horses[horse_only.pid][0])
    kill(parent_only.pid)
    kill(both.pid), kill(horses[both.pid][0])
    stack.ats.release()
    wait_for(lambda: not alive(horses[parent_only.pid][0]), 5, "the orphaned horse to die")

    bound = DEAD_WORKER_BOUND.total_seconds() + RUN_SLACK
    wait_for(lambda: stack.done(events), bound, "the killed pushes to be done", every=0.5)
    recovered = time.monotonic() - killed_at
    print(f"\nkilled horse, parent and both: all done {recovered:.1f} s after the kills "
          f"(bound {bound:.0f} s)")
    stack.assert_once(events)
    assert horse_only.poll() is None  # a worker whose horse died carries on
    stack.workers.start(2)  # as a supervisor would: the pool is whole again
