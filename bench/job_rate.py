"""No-op jobs per second: rq's forking Worker, rq's SimpleWorker and `connector worker`.

Each runs as a process of its own against the same Redis database, registered before the
clock starts; then --jobs no-op jobs (os.getpid) are queued in one pipeline, and the time until
the last has finished is measured. rq's two workers are the yardsticks: the forking one is what
`connector worker` was built on, SimpleWorker is what rq does without a fork. The connector's
worker also keeps each job's rows leased, rq's heartbeat alive, and its sweeper and scheduler
running beside the jobs.

Needs PostgreSQL on 127.0.0.1:5432 (a fresh database is made and dropped) and Redis (database
--redis-url, default $BENCH_REDIS_URL or redis://127.0.0.1:6379/12, emptied before and after):

  .venv/bin/python bench/job_rate.py [--jobs 2000] [--redis-url redis://127.0.0.1:6379/12]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import redis
import sqlalchemy
from cryptography.fernet import Fernet
from rq import Queue, Worker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connector import migrate  # noqa: E402
from jobs.queue import RESULT_TTL  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
RQ_WORKER = ("import sys; from redis import Redis; import rq; "
             "rq.{kind}(['default'], connection=Redis.from_url(sys.argv[1]))"
             ".work(logging_level='WARNING')")
CONNECTOR_WORKER = "from connector.cli import main; main(['worker'])"
NO_OP = "os.getpid"


@contextlib.contextmanager
def fresh_database():
    """A migrated PostgreSQL database for the connector's worker (its sweeper reads it)."""
    name = f"connector_bench_jobs_{os.getpid()}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            engine = sqlalchemy.create_engine(f"postgresql+psycopg://{PG.split('://')[1]}/{name}")
            migrate.upgrade(engine)
            engine.dispose()
            yield f"{PG}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rate(command: list[str], env: dict, redis_url: str, jobs: int) -> float:
    """Jobs per second of one worker process running `jobs` no-op jobs."""
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: Worker.count(connection=connection) == 1, 30, "the worker to start")
        queue = Queue("default", connection=connection)
        calls = [Queue.prepare_data(NO_OP, result_ttl=RESULT_TTL) for _ in range(jobs)]
        started = time.monotonic()
        with connection.pipeline() as pipe:
            queue.enqueue_many(calls, pipeline=pipe)
            pipe.execute()
        finished = queue.finished_job_registry
        _wait(lambda: finished.count >= jobs, 60 + jobs / 10, "every job", every=0.01)
        return jobs / (time.monotonic() - started)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        connection.flushdb()


def _rq(kind: str, redis_url: str) -> list[str]:
    return [sys.executable, "-c", RQ_WORKER.format(kind=kind), redis_url]


def _wait(condition, timeout: float, what: str, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(every)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--redis-url", default=os.environ.get(
        "BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    args = parser.parse_args()
    print(f"{args.jobs} no-op jobs each; Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DATABASE_URL=url, REDIS_URL=args.redis_url, CONNECTOR_ENV="test",
                   SECRET_KEYS=Fernet.generate_key().decode(), CONNECTOR_DATA_DIR=tmp,
                   SMTP_URL="", LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
        commands = {
            "rq Worker (fork per job)": _rq("Worker", args.redis_url),
            "rq SimpleWorker": _rq("SimpleWorker", args.redis_url),
            "connector worker": [sys.executable, "-c", CONNECTOR_WORKER],
        }
        rates = {name: rate(command, env, args.redis_url, args.jobs)
                 for name, command in commands.items()}
    for name, jobs_per_second in rates.items():
        print(f"{name:26} {jobs_per_second:8.0f} jobs/s")
    simple = rates["rq SimpleWorker"]
    print(f"connector worker / SimpleWorker  {rates['connector worker'] / simple:.2f}")
    print(f"connector worker / rq Worker     "
          f"{rates['connector worker'] / rates['rq Worker (fork per job)']:.2f}")
    print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
