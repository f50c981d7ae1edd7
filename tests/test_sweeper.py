"""The sweeper and the queues: a row has one job at a time, however often it is swept.

Measured before: one sweep run held 2,566 jobs for 1,501 rows, each sweep queueing every
pending row again behind the jobs it already had.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from rq import Queue, SimpleWorker
from rq.job import Job

from adapters.events import Outcome
from config import Settings
from connector.models import Push, utcnow
from connector.services import install
from connector.wiring import build_services
from jobs import queue as queues
from jobs.queue import InProcessQueue, running
from jobs.sweeper import sweep
from tests.conftest import make_installation
from tests.faults.processes import RedisServer

PUSH = "jobs.pushes.deliver_push"
PURGE = "jobs.privacy.purge_due_data"


@pytest.fixture
def on_redis(pg_database_url, tmp_path):
    """Services on PostgreSQL whose jobs go to a Redis of their own (no worker runs them)."""
    redis = RedisServer(tmp_path).start()
    settings = Settings(env="test", database_url=pg_database_url, redis_url=redis.url,
                        secret_keys=(Fernet.generate_key().decode(),),
                        public_base_url="https://connector.test", data_dir=tmp_path)
    services = install(build_services(settings))
    yield services
    services.close()
    redis.stop()


def add_pushes(services, count: int, due_ago: timedelta = timedelta(minutes=5)) -> list[int]:
    """Pending notes, due a while ago, whose jobs nobody queued."""
    installation = make_installation(services, ["Assessment"])
    due = utcnow() - due_ago
    with services.db.session() as session:
        rows = [Push(installation_id=installation["id"], kind="invited", dedupe_key=f"t:{n}",
                     next_attempt_at=due,
                     payload=asdict(Outcome("invited", "1", str(n), "Invited.", f"[t {n}]")))
                for n in range(count)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def queued(services) -> list[str]:
    """The rows' jobs waiting (the retention purge, queued now and then, is not a row's)."""
    return [job_id for job_id in services.queue.queue.get_job_ids()
            if Job.fetch(job_id, connection=services.queue.connection).func_name != PURGE]


def test_sweeps_of_every_worker_queue_the_retention_purge_once_in_its_interval(on_redis):
    assert [sweep()["purges"] for _ in range(3)] == [1, 0, 0]
    jobs = [Job.fetch(job_id, connection=on_redis.queue.connection).func_name
            for job_id in on_redis.queue.queue.get_job_ids()]
    assert jobs == [PURGE]


def test_sweeping_again_and_again_queues_each_row_once(on_redis):
    push_ids = add_pushes(on_redis, 30)
    for _ in range(3):
        assert sweep()["pushes"] == 30
    assert sorted(queued(on_redis)) == sorted(f"push-{n}" for n in push_ids)


def test_the_web_and_the_sweeper_asking_for_one_row_make_one_job(on_redis):
    (push_id,) = add_pushes(on_redis, 1)
    on_redis.queue.enqueue(PUSH, push_id)
    sweep()
    on_redis.queue.enqueue(PUSH, push_id)
    assert queued(on_redis) == [f"push-{push_id}"]


def test_a_finished_or_failed_job_does_not_block_the_next(on_redis):
    (push_id,) = add_pushes(on_redis, 1, due_ago=timedelta(0))
    on_redis.queue.enqueue(PUSH, push_id)
    worker = SimpleWorker([on_redis.queue.queue], connection=on_redis.queue.connection)
    worker.work(burst=True)  # no ATS answers: the push fails and waits for its next try
    job = Job.fetch(f"push-{push_id}", connection=on_redis.queue.connection)
    assert job.get_status() in ("finished", "failed")
    on_redis.queue.enqueue(PUSH, push_id)
    assert queued(on_redis) == [f"push-{push_id}"]


def test_a_started_job_blocks_the_row_until_its_lease_is_known_lost(on_redis):
    (push_id,) = add_pushes(on_redis, 1)
    connection = on_redis.queue.connection
    on_redis.queue.enqueue(PUSH, push_id)
    job_id = f"push-{push_id}"
    # As a worker does when it starts the job: out of the queue, into the started registry.
    connection.lrem("rq:queue:default", 0, job_id)
    connection.hset(f"rq:job:{job_id}", "status", "started")
    connection.zadd("rq:wip:default", {f"{job_id}:exec-1": time.time() + 60})
    on_redis.queue.enqueue(PUSH, push_id)
    assert queued(on_redis) == []
    on_redis.queue.recover(PUSH, push_id)  # the row's lease ran out: its worker died
    assert queued(on_redis) == [job_id]
    assert connection.zrange("rq:wip:default", 0, -1) == []


def test_a_job_times_its_own_next_try_once_it_has_ended(on_redis):
    (push_id,) = add_pushes(on_redis, 1)
    job_id = f"push-{push_id}"
    with running(job_id):  # inside the job, while rq still has it as started
        on_redis.queue.enqueue_in(30, PUSH, push_id)
    scheduled = Queue("default", connection=on_redis.queue.connection).scheduled_job_registry
    assert scheduled.get_job_ids() == []
    on_redis.queue.send_after_job()
    assert scheduled.get_job_ids() == [job_id]
    on_redis.queue.enqueue(PUSH, push_id)  # the sweeper, meanwhile: the timed job is the one
    assert queued(on_redis) == []


def test_a_sweep_beside_a_running_job_queues_other_rows_now_and_its_row_after(on_redis):
    own, other = add_pushes(on_redis, 2)
    connection, job_id = on_redis.queue.connection, f"push-{own}"
    # As `connector worker` runs a job on `own` in its main thread, rq holding it as started.
    connection.hset(f"rq:job:{job_id}", "status", "started")
    connection.zadd("rq:wip:default", {f"{job_id}:exec-1": time.time() + 60})
    with running(job_id):
        on_redis.queue.enqueue_in(30, PUSH, own)  # the job's own next try
        sweeper = threading.Thread(target=sweep)  # the sweeper's thread, meanwhile
        sweeper.start()
        sweeper.join()
        assert queued(on_redis) == [f"push-{other}"]  # not held back with the job's own
    connection.hset(f"rq:job:{job_id}", "status", "finished")  # as rq ends the job
    connection.zrem("rq:wip:default", f"{job_id}:exec-1")
    on_redis.queue.send_after_job()
    scheduled = Queue("default", connection=connection).scheduled_job_registry
    assert scheduled.get_job_ids() == [job_id]
    assert queued(on_redis) == [f"push-{other}"]


def test_other_jobs_keep_ids_of_their_own(on_redis):
    for _ in range(2):
        on_redis.queue.enqueue("jobs.lifecycle.send_due_reminders")
    assert len(set(queued(on_redis))) == 2


# --- the embedded queue keeps the same promise ----------------------------------------------

runs: list[int] = []
gate = threading.Event()


def count_run(row_id: int) -> None:
    gate.wait(5)
    runs.append(row_id)


@pytest.fixture
def counting(monkeypatch):
    monkeypatch.setitem(queues.ROW_JOBS, f"{__name__}.count_run", "counted")
    runs.clear()
    gate.clear()
    yield f"{__name__}.count_run"
    gate.set()


def test_the_embedded_queue_runs_a_row_once_while_its_job_waits_or_runs(counting):
    queue = InProcessQueue(workers=1)
    queue.enqueue(counting, 1)  # runs, held at the gate
    time.sleep(0.2)
    for _ in range(3):
        queue.enqueue(counting, 1)
        queue.enqueue(counting, 2)  # waits behind the first
    gate.set()
    queue.shutdown()
    assert sorted(runs) == [1, 2]
    queue = InProcessQueue(workers=1)
    queue.enqueue(counting, 1)  # its job ended: the row may have another
    queue.shutdown()
    assert sorted(runs) == [1, 1, 2]


def test_the_embedded_queue_lets_a_running_job_time_its_own_retry(counting):
    queue = InProcessQueue(workers=1)
    gate.set()
    with running("counted-7"):
        queue.enqueue_in(0.1, counting, 7)
    time.sleep(0.5)
    queue.shutdown()
    assert runs == [7]
