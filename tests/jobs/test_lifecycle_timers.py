"""Reminders and expiries reach rq's scheduler as timed jobs, one per job kind and minute."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from rq.registry import ScheduledJobRegistry

from connector.interviews import Timers
from connector.models import utcnow
from jobs.lifecycle import schedule
from jobs.queue import RedisQueue

HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)


def test_timers_reach_rqs_scheduler(redis_url):
    queue = RedisQueue(redis_url)
    now = utcnow()
    schedule(queue, [Timers(now + 48 * HOUR, now + 72 * HOUR)], now=now)
    registry = ScheduledJobRegistry(queue=queue.queue)
    jobs = [queue.queue.fetch_job(job_id) for job_id in registry.get_job_ids()]
    assert sorted(job.func_name for job in jobs) == ["jobs.lifecycle.expire_due_sessions",
                                                     "jobs.lifecycle.send_due_reminders"]
    due = sorted(registry.get_scheduled_time(job) for job in jobs)
    for timed, wanted in zip(due, (now + 48 * HOUR, now + 72 * HOUR)):
        assert 0 <= (timed - wanted.replace(microsecond=0)).total_seconds() <= 62  # its minute
    queue.connection.close()


def test_timers_due_in_one_minute_share_one_timed_job_each(redis_url):
    queue = RedisQueue(redis_url)
    start = utcnow().replace(second=0, microsecond=0) + 48 * HOUR
    burst = [Timers(start + n * SECOND, start + 24 * HOUR + n * SECOND) for n in range(1, 61)]
    schedule(queue, burst[:30])
    schedule(queue, burst[30:])
    schedule(queue, [Timers(start + 61 * SECOND, start + 24 * HOUR + 61 * SECOND)])
    registry = ScheduledJobRegistry(queue=queue.queue)
    jobs = [queue.queue.fetch_job(job_id) for job_id in registry.get_job_ids()]
    assert Counter(job.func_name for job in jobs) == {"jobs.lifecycle.expire_due_sessions": 2,
                                                      "jobs.lifecycle.send_due_reminders": 2}
    reminders = sorted(registry.get_scheduled_time(job) for job in jobs
                       if job.func_name == "jobs.lifecycle.send_due_reminders")
    assert reminders[0] >= start + 60 * SECOND  # never before the last timer of its minute
    assert reminders[1] >= start + 61 * SECOND
    queue.connection.close()
