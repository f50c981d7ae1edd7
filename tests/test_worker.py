"""`connector worker` as a real process: the sweep beside the queue, Redis lost and back, no orphans.

Measured before: sweeps queued behind the work came 53 to 217 s apart; a Redis outage ended
the worker (a ConnectionError in rq's register_death); a worker killed alone left its
scheduler running as an orphan that held the scheduler lock.
"""

from __future__ import annotations

import os
import time

import pytest
from cryptography.fernet import Fernet
from rq import Queue, Worker

from config import Settings
from connector.services import install
from connector.wiring import build_services
from jobs.sweeper import LOST_JOB_BOUND
from jobs.worker import RESTART_CAP_SECONDS
from tests.faults.processes import RedisServer, Workers, alive, children, kill, wait_for
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


def test_nothing_the_worker_started_outlives_it(stack):
    services, workers = stack
    (worker,) = workers.start()
    wait_for(lambda: registered(services), 30, "the worker")
    services.queue.enqueue("time.sleep", 60)
    started = Queue("default", connection=services.queue.connection).started_job_registry
    wait_for(lambda: started.count, 30, "the job to start")
    descendants = children(worker.pid)
    descendants += [pid for child in descendants for pid in children(child)]
    assert descendants  # the work horse, at least
    kill(worker.pid)
    worker.wait()
    wait_for(lambda: not any(alive(pid) for pid in descendants), 5,
             "the worker's children to die with it")


def test_horses_forked_while_the_sweeper_works_all_finish(stack):
    # A fork copies the locks the sweeper's thread holds at that instant; a horse forked in
    # the middle of a sweep once waited on one for ever (2 runs in 4 before the fix).
    services, workers = stack
    workers.start()
    wait_for(lambda: registered(services), 30, "the worker")
    queue = Queue("default", connection=services.queue.connection)
    for n in range(150):  # jobs that start, find no row, and end: forks, many a second
        services.queue.enqueue("jobs.deliveries.process_delivery", 10_000 + n)
        time.sleep(0.02)
    wait_for(lambda: not queue.count and not queue.started_job_registry.count, 60,
             "every job to finish")
