"""`connector worker` as a real process: the sweep beside the queue, Redis lost and back, jobs
in the worker itself, stopping on SIGTERM.

Measured before: sweeps queued behind the work came 53 to 217 s apart; a Redis outage ended
the worker (a ConnectionError in rq's register_death); a worker killed alone left its
scheduler running as an orphan that held the scheduler lock; every job forked a work horse
that opened database connections of its own (61 no-op jobs/s where rq does 247 without forks).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from rq import Queue, Worker
from sqlalchemy import text

from config import Settings
from connector.models import OutboxStatus, Push
from connector.services import install
from connector.wiring import build_services
from jobs import claims, leases
from jobs.sweeper import LOST_JOB_BOUND, SWEEP_INTERVAL_SECONDS, SWEEP_TICK_SECONDS
from jobs.worker import RESTART_CAP_SECONDS, SCHEDULER_LOCK_SECONDS
from tests.faults.processes import RedisServer, Workers, children, kill, wait_for
from tests.test_heap import assert_settled
from tests.test_sweeper import add_pushes

SECRET = Fernet.generate_key().decode()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def stack(pg_database_url, redis_server, tmp_path):
    """This process enqueues; `connector worker` processes, started by the test, work."""
    settings = Settings(env="test", database_url=pg_database_url, redis_url=redis_server.url,
                        secret_keys=(SECRET,), public_base_url="https://connector.test",
                        data_dir=tmp_path)
    services = install(build_services(settings))
    env = dict(os.environ, DATABASE_URL=pg_database_url, REDIS_URL=redis_server.url,
               SECRET_KEYS=SECRET, PUBLIC_BASE_URL=settings.public_base_url,
               CONNECTOR_DATA_DIR=str(tmp_path), CONNECTOR_ENV="test", SMTP_URL="",
               LOG_LEVEL="INFO")
    workers = Workers(env, tmp_path)
    yield services, workers
    workers.stop()
    services.close()


def registered(services, count: int = 1) -> bool:
    return len(Worker.all(connection=services.queue.connection)) == count


def jobs_for(services, path: str, *args) -> list[str]:
    queue = Queue("default", connection=services.queue.connection)
    return [job.id for job in queue.get_jobs() if job.func_name == path and job.args == args]


def test_the_sweep_runs_beside_a_backlog_not_behind_it(stack):
    services, workers = stack
    workers.start()
    wait_for(lambda: registered(services), 30, "the worker")
    for _ in range(60):  # a minute of work ahead of anything queued now
        services.queue.enqueue("time.sleep", 1)
    (push_id,) = add_pushes(services, 1)  # due long ago, its job lost
    started = time.monotonic()
    wait_for(lambda: jobs_for(services, "jobs.pushes.deliver_push", push_id),
             LOST_JOB_BOUND.total_seconds(), "the sweeper to queue the row's job again")
    print(f"\nrow queued again {time.monotonic() - started:.1f} s after it was found lost, "
          f"behind a 60 s backlog (bound {LOST_JOB_BOUND.total_seconds():.0f} s)")
    assert jobs_for(services, "jobs.sweeper.sweep") == []


def test_the_worker_rides_out_redis_going_away_and_coming_back(stack, redis_server, tmp_path):
    services, workers = stack
    (worker,) = workers.start()
    wait_for(lambda: registered(services), 30, "the worker")
    redis_server.stop()
    time.sleep(4)  # long enough for every part of the worker to have met the outage
    redis_server.start()
    back = time.monotonic()
    marker = tmp_path / "ran-after-the-outage"
    services.queue.enqueue("os.mkdir", str(marker))
    wait_for(marker.exists, RESTART_CAP_SECONDS + 10, "a job queued once Redis was back")
    print(f"\na job queued after the outage ran {time.monotonic() - back:.1f} s after Redis "
          f"came back (bound {RESTART_CAP_SECONDS:.0f} s of backoff, plus the job)")
    assert worker.poll() is None


def note_process(path: str, seconds: float = 0.0) -> None:
    """A job: note its process and its database connection's server process, for `seconds`."""
    from connector.services import current

    deadline = time.monotonic() + seconds
    while True:
        with current().db.session() as session:
            backend = session.scalar(text("SELECT pg_backend_pid()"))
        if time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    with open(path, "a") as out:
        out.write(f"{os.getpid()} {backend}\n")


def noted(path: Path) -> list[tuple[int, int]]:
    if not path.exists():
        return []
    return [tuple(map(int, line.split())) for line in path.read_text().splitlines()]


def heard_since(services, moment: datetime) -> bool:
    (worker,) = Worker.all(connection=services.queue.connection)
    return worker.last_heartbeat > moment


def test_jobs_run_one_after_another_in_the_worker_itself_on_its_database_pool(stack, tmp_path):
    services, workers = stack
    (worker,) = workers.start()
    wait_for(lambda: registered(services), 30, "the worker")
    path = tmp_path / "processes"
    for _ in range(30):
        services.queue.enqueue(f"{__name__}.note_process", str(path))
    wait_for(lambda: len(noted(path)) == 30, 60, "every job")
    assert {pid for pid, _ in noted(path)} == {worker.pid}
    # The job's thread and the sweeper's share one pool; a process per job would open 30.
    assert len({backend for _, backend in noted(path)}) <= 2
    assert children(worker.pid) == []


def test_jobs_run_with_the_objects_the_worker_built_at_start_frozen_out_of_collections(
        stack, tmp_path):
    services, workers = stack
    workers.start()
    wait_for(lambda: registered(services), 30, "the worker")
    path = tmp_path / "collector"
    services.queue.enqueue(f"{__name__}.note_collector", str(path))
    wait_for(lambda: path.exists() and path.read_text(), 30, "the job")
    assert_settled(path.read_text())


def note_collector(path: str) -> None:
    """A job: note how many objects the collector leaves frozen and how many it tracks."""
    import gc

    Path(path).write_text(f"{gc.get_freeze_count()} {len(gc.get_objects())}")


def test_a_job_and_a_sweep_running_at_once_both_finish(stack, tmp_path):
    services, workers = stack
    workers.start()
    wait_for(lambda: registered(services), 30, "the worker")
    path = tmp_path / "long-job"
    seconds = SWEEP_INTERVAL_SECONDS + SWEEP_TICK_SECONDS + 2  # a sweep falls inside it
    services.queue.enqueue(f"{__name__}.note_process", str(path), seconds)
    started = Queue("default", connection=services.queue.connection).started_job_registry
    wait_for(lambda: started.count, 30, "the job to start")
    began = datetime.now(timezone.utc)
    (push_id,) = add_pushes(services, 1)  # due long ago, its job lost
    wait_for(lambda: jobs_for(services, "jobs.pushes.deliver_push", push_id), seconds,
             "the sweeper to queue the row's job while the long job runs")
    wait_for(lambda: heard_since(services, began + timedelta(seconds=5)), 15,
             "rq to hear from the worker while its job runs")
    assert not path.exists()
    wait_for(lambda: noted(path), seconds + 10, "the long job to finish")


def mark_after(path: str, seconds: float) -> None:
    """A job: sleep, then leave a mark."""
    time.sleep(seconds)
    Path(path).touch()


def test_sigterm_lets_the_running_job_finish_and_takes_no_new_one(stack, tmp_path):
    services, workers = stack
    (worker,) = workers.start()
    wait_for(lambda: registered(services), 30, "the worker")
    first, second = tmp_path / "first", tmp_path / "second"
    services.queue.enqueue(f"{__name__}.mark_after", str(first), 3)
    services.queue.enqueue(f"{__name__}.mark_after", str(second), 0)
    started = Queue("default", connection=services.queue.connection).started_job_registry
    wait_for(lambda: started.count, 30, "the job to start")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0
    assert first.exists() and not second.exists()


def test_a_second_sigterm_ends_the_worker_at_once(stack, tmp_path):
    services, workers = stack
    (worker,) = workers.start()
    wait_for(lambda: registered(services), 30, "the worker")
    mark = tmp_path / "mark"
    services.queue.enqueue(f"{__name__}.mark_after", str(mark), 30)
    started = Queue("default", connection=services.queue.connection).started_job_registry
    wait_for(lambda: started.count, 30, "the job to start")
    worker.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=3) != 0
    assert not mark.exists()


def claim_and_hang(push_id: int) -> None:
    """A runaway job: it claims its row, then never ends by itself."""
    from connector.services import current

    with current().db.session() as session:
        assert claims.claim(session, Push, push_id, OutboxStatus.PENDING, OutboxStatus.SENDING)
    time.sleep(600)


def lease_of(services, push_id: int):
    with services.db.session() as session:
        return session.get(Push, push_id).lease_until


def test_a_runaway_job_is_ended_at_its_timeout_and_the_worker_goes_on(stack, tmp_path):
    services, workers = stack
    (worker,) = workers.start()
    wait_for(lambda: registered(services), 30, "the worker")
    (push_id,) = add_pushes(services, 1)
    queue = Queue("default", connection=services.queue.connection)
    queue.enqueue(f"{__name__}.claim_and_hang", push_id, job_timeout=2)
    mark = tmp_path / "next"
    services.queue.enqueue(f"{__name__}.mark_after", str(mark), 0)
    wait_for(mark.exists, 30, "the next job")
    (failed,) = queue.failed_job_registry.get_job_ids()
    assert "JobTimeoutException" in queue.fetch_job(failed).latest_result().exc_string
    assert worker.poll() is None
    lease = lease_of(services, push_id)
    time.sleep(leases.RENEW_SECONDS + 2)  # nobody renews it: the sweeper takes the row up
    assert lease_of(services, push_id) == lease


def test_timed_jobs_go_on_soon_after_the_worker_that_scheduled_them_dies(stack, tmp_path):
    services, workers = stack
    (first,) = workers.start()
    wait_for(lambda: services.queue.connection.exists("rq:scheduler-lock:default"), 30,
             "the first worker's scheduler")
    workers.start()
    wait_for(lambda: registered(services, 2), 30, "the second worker")
    kill(first.pid)
    killed = time.monotonic()
    mark = tmp_path / "timed"
    services.queue.enqueue_in(1, "os.mkdir", str(mark))
    wait_for(mark.exists, SCHEDULER_LOCK_SECONDS + 5, "the timed job")
    print(f"\na timed job ran {time.monotonic() - killed:.1f} s after the scheduling worker "
          f"died (rq alone: up to 61 s)")


def test_rq_suspend_is_seen_within_a_second_and_between_beats_nothing_is_rewritten(
        settings, redis_url, monkeypatch):
    """The worker asks Redis less often than rq does, by its own bounds, and still obeys it."""
    import threading

    from rq.exceptions import StopRequested
    from rq.suspension import suspend

    from jobs import worker as module

    services = install(build_services(dataclasses.replace(settings, redis_url=redis_url)))
    try:
        worker = module.ConnectorWorker(services, threading.Event())
        worker.register_birth()
        clock = [1000.0]
        monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
        worker.check_for_suspension(burst=True)  # asked: not suspended
        suspend(services.queue.connection)
        worker.check_for_suspension(burst=True)  # within the second: not asked again
        clock[0] += module.SUSPENSION_CHECK_SECONDS
        with pytest.raises(StopRequested):  # burst mode's answer to a suspension
            worker.check_for_suspension(burst=True)

        redis = services.queue.connection
        worker.set_state("idle")
        redis.hdel(worker.key, "state", "last_heartbeat")
        worker.set_state("idle")  # unchanged: not written again
        worker.heartbeat()  # within BEAT_EVERY_SECONDS of the birth: not sent
        assert redis.hget(worker.key, "state") is None
        assert redis.hget(worker.key, "last_heartbeat") is None
        worker.set_state("busy")
        worker.last_heartbeat -= timedelta(seconds=module.BEAT_EVERY_SECONDS)
        worker.heartbeat()
        assert redis.hget(worker.key, "state") == b"busy"
        assert redis.hget(worker.key, "last_heartbeat") is not None
        assert 0 < redis.ttl(worker.key) <= worker.worker_ttl + 60
    finally:
        services.close()
