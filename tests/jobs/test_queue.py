"""A row's job goes to Redis in one script, and is the job rq itself would have queued."""

from __future__ import annotations

import zlib

from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from connector import tasks
from jobs.queue import FAILURE_TTL, JOB_TIMEOUT, RESULT_TTL, RedisQueue


def test_a_rows_job_is_one_rq_takes_as_its_own(redis_url):
    RedisQueue(redis_url).enqueue(tasks.PROCESS_DELIVERY, 42)
    connection = Redis.from_url(redis_url)
    job = Job.fetch("delivery-42", connection=connection)
    assert (job.func_name, job.args, job.kwargs) == (tasks.PROCESS_DELIVERY, (42,), {})
    assert job.get_status() == JobStatus.QUEUED and job.origin == "default"
    assert (job.timeout, job.result_ttl, job.failure_ttl) == (JOB_TIMEOUT, RESULT_TTL,
                                                              FAILURE_TTL)
    assert job.enqueued_at is not None
    assert [queue.name for queue in Queue.all(connection=connection)] == ["default"]
    taken, queue = Queue.dequeue_any([Queue(connection=connection)], None,
                                     connection=connection)
    assert (taken.id, queue.name) == ("delivery-42", "default")


def test_each_call_stores_the_hash_rqs_own_enqueue_stores_with_its_own_data(redis_url):
    queue, connection = RedisQueue(redis_url), Redis.from_url(redis_url)
    queue.enqueue(tasks.PROCESS_DELIVERY, 42)
    queue.enqueue(tasks.PROCESS_DELIVERY, 43)  # from the fields the first call kept
    Queue(connection=connection, default_timeout=JOB_TIMEOUT).enqueue(
        tasks.PROCESS_DELIVERY, 43, job_id="by-rq", result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL)
    ours = connection.hgetall("rq:job:delivery-43")
    theirs = {key: value for key, value in connection.hgetall("rq:job:by-rq").items()
              if value != b""}  # rq reads an absent field as an empty one
    times = {b"created_at", b"enqueued_at"}
    assert ours.keys() == theirs.keys()
    assert {k: v for k, v in ours.items() if k not in times | {b"data"}} == \
        {k: v for k, v in theirs.items() if k not in times | {b"data"}}
    assert zlib.decompress(ours[b"data"]) == zlib.decompress(theirs[b"data"])
    assert [Job.fetch(f"delivery-{n}", connection=connection).args for n in (42, 43)] == \
        [(42,), (43,)]


def test_a_waiting_job_keeps_its_row_and_an_ended_one_frees_it(redis_url):
    queue, connection = RedisQueue(redis_url), Redis.from_url(redis_url)
    queue.enqueue(tasks.DELIVER_PUSH, 7)
    queue.enqueue(tasks.DELIVER_PUSH, 7)
    assert connection.lrange("rq:queue:default", 0, -1) == [b"push-7"]
    connection.lpop("rq:queue:default")
    Job.fetch("push-7", connection=connection).set_status(JobStatus.FINISHED)
    connection.zadd("rq:finished:default", {"push-7": 1})
    queue.enqueue(tasks.DELIVER_PUSH, 7)
    assert connection.lrange("rq:queue:default", 0, -1) == [b"push-7"]
    assert connection.zscore("rq:finished:default", "push-7") is None
    assert Job.fetch("push-7", connection=connection).get_status() == JobStatus.QUEUED


def test_redis_gone_loses_the_job_not_the_request(caplog):
    RedisQueue("redis://127.0.0.1:1/0").enqueue(tasks.PROCESS_DELIVERY, 1)
    assert "jobs.enqueue-failed" in caplog.text
