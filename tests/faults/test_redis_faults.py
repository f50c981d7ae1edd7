"""Redis loses everything: FLUSHDB in the middle of a burst, then the server stopped and started.

The rows in PostgreSQL are the record. Every row whose job Redis lost is queued again within
LOST_JOB_BOUND (jobs.sweeper), never twice (jobs.queue), and each event still ends with one
session, one e-mail and one note.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from connector.models import DeliveryStatus, Email, OutboxStatus, Push, WebhookDelivery, utcnow
from jobs.sweeper import LOST_JOB_BOUND
from tests.faults.processes import wait_for

BURST = 100  # events; with their e-mails and notes, 300 rows: a backlog, yet seconds of work
WORK_SECONDS = 120  # ample for the pool to work through the burst on two busy cores


def waiting_rows(stack) -> set[str]:
    """The rows waiting for a try, by their jobs' ids: each should have its job in Redis."""
    with stack.services.db.session() as session:
        rows = {f"delivery-{n}" for n in session.scalars(select(WebhookDelivery.id).where(
            WebhookDelivery.status == DeliveryStatus.RECEIVED))}
        for kind, model in (("push", Push), ("email", Email)):
            rows |= {f"{kind}-{n}" for n in session.scalars(select(model.id).where(
                model.status == OutboxStatus.PENDING, model.next_attempt_at <= utcnow()))}
    return rows


def lost(stack, rows: set[str]) -> set[str]:
    """Those of `rows` still waiting for a try with no job for it in Redis."""
    waiting = sorted(rows & waiting_rows(stack))
    with stack.redis.client().pipeline() as pipe:
        for job_id in waiting:
            pipe.exists(f"rq:job:{job_id}")
        return {job_id for job_id, found in zip(waiting, pipe.execute()) if not found}


def test_flushdb_mid_burst_loses_no_event(stack):
    events = stack.new_events(BURST)
    assert set(stack.post_all(events)) == {200}
    redis = stack.redis.client()
    wait_for(lambda: redis.llen("rq:queue:default") > 50, 30, "a backlog")
    backlog = redis.llen("rq:queue:default")
    redis.flushdb()
    flushed, waiting = time.monotonic(), waiting_rows(stack)

    wait_for(lambda: not lost(stack, waiting), LOST_JOB_BOUND.total_seconds(),
             "every row Redis lost to have its job again")
    requeued = time.monotonic() - flushed
    assert redis.llen("rq:queue:default") <= stack.unfinished_rows()  # one job a row, at most
    wait_for(lambda: stack.done(events), WORK_SECONDS, "the burst to be worked through", 1)
    print(f"\nFLUSHDB with {backlog} jobs queued: {len(waiting)} waiting rows queued again "
          f"in {requeued:.1f} s (bound {LOST_JOB_BOUND.total_seconds():.0f} s); "
          f"all done {time.monotonic() - flushed:.1f} s after the flush")
    stack.assert_once(events)


def test_redis_stopped_and_started_loses_no_event(stack):
    events = stack.new_events(40)
    workers = stack.workers.running()
    assert stack.post_all(events[:20]) == [200] * 20
    stack.redis.stop()
    # The web still stores and accepts each delivery; its job waits for Redis to come back.
    assert stack.post_all(events[20:]) == [200] * 20
    time.sleep(3)
    stack.redis.start()
    back, waiting = time.monotonic(), waiting_rows(stack)

    bound = LOST_JOB_BOUND.total_seconds()  # the sweeper's; workers are back within 8 s
    wait_for(lambda: not lost(stack, waiting), bound, "every waiting row to have its job again")
    requeued = time.monotonic() - back
    wait_for(lambda: stack.done(events), WORK_SECONDS, "every event after Redis came back", 0.5)
    print(f"\nRedis stopped and started empty: {len(waiting)} waiting rows queued again "
          f"{requeued:.1f} s after it came back (bound {bound:.0f} s); all done in "
          f"{time.monotonic() - back:.1f} s")
    stack.assert_once(events)
    assert all(worker.poll() is None for worker in workers)  # none quit
