"""Pushing notes against a rate-limited Greenhouse: total time next to what the limit allows.

A fake Greenhouse on loopback (tests/fakes/greenhouse_server.py) allows `limit` requests per
--per seconds over its notes endpoints, in a fixed window, and answers 429 with Retry-After
beyond. One run measures each limit in turn: the adapter's default (50 per 30 s for Greenhouse)
and that limit times each of --factors (1 and 5 unless told). Each gets a fresh PostgreSQL
database, an installation pointed at the fake, and --results pending notes; --workers
`connector worker` processes deliver them through the shared limiter on Redis. Reported per
limit: the time from the first enqueue to the last delivery, the floor the limit allows
(N / (limit/per) seconds; the first `limit` may go at once, so the last could go at
(N - limit) / (limit/per)), their ratio, the share of requests answered 429, how many tokens
were fetched and how many jobs the workers ran (a job that finds no free slot runs again later).

Needs PostgreSQL on 127.0.0.1:5432 and Redis (--redis-url or BENCH_REDIS_URL; that database is
emptied before and after):

  .venv/bin/python bench/push_rate.py [--results 1000] [--limit 50] [--per 30] [--factors 1,5]
                                      [--workers 2] [--redis-url redis://127.0.0.1:6379/13]
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
from collections import Counter
from pathlib import Path

import redis
import sqlalchemy
from cryptography.fernet import Fernet
from rq import Worker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fake Greenhouse lives with the tests

from config import Settings  # noqa: E402
from connector import migrate  # noqa: E402
from connector.services import install  # noqa: E402
from connector.wiring import build_services  # noqa: E402
from adapters.greenhouse import MANIFEST  # noqa: E402
from tests.fakes.greenhouse_server import (  # noqa: E402
    RateLimitedGreenhouse,
    add_pushes,
    delivered,
)

PG = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


@contextlib.contextmanager
def database(redis_url: str):
    """A fresh, migrated PostgreSQL database and an empty Redis database; both gone after."""
    name = f"connector_bench_push_{os.getpid()}"
    admin = sqlalchemy.create_engine(f"{PG.replace('postgresql', 'postgresql+psycopg')}/postgres",
                                     isolation_level="AUTOCOMMIT")
    queue = redis.Redis.from_url(redis_url)
    queue.flushdb()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = f"{PG}/{name}"
    try:
        engine = sqlalchemy.create_engine(url.replace("postgresql", "postgresql+psycopg"))
        migrate.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        queue.flushdb()


@contextlib.contextmanager
def workers(count: int, env: dict, logs: Path, profile: bool = False):
    """`count` `connector worker` processes, registered before this yields their pids, stopped
    after; with `profile`, each writes its cProfile to logs/worker-N.prof."""
    files = [(logs / f"worker-{n}.log").open("ab") for n in range(count)]
    profiled = lambda n: ["-m", "cProfile", "-o", str(logs / f"worker-{n}.prof")] \
        if profile else []  # noqa: E731
    procs = [subprocess.Popen([sys.executable, *profiled(n), "-m", "connector.cli", "worker"],
                              env=env, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
             for n, f in enumerate(files)]
    try:
        connection = redis.Redis.from_url(env["REDIS_URL"])
        deadline = time.monotonic() + 30
        while len(Worker.all(connection=connection)) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"the workers did not start; see {logs}")
            time.sleep(0.1)
        yield [proc.pid for proc in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        for f in files:
            f.close()


def run(args, limit: int) -> dict:
    """Deliver --results notes to a fake allowing `limit` per --per seconds; what it took."""
    fake = RateLimitedGreenhouse(limit=limit, per=args.per).start()
    with database(args.redis_url) as url, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", database_url=url, redis_url=args.redis_url,
                            secret_keys=(Fernet.generate_key().decode(),), data_dir=Path(tmp),
                            allow_private_ats_hosts=True)
        services = install(build_services(settings))
        env = dict(os.environ, DATABASE_URL=url, REDIS_URL=args.redis_url, CONNECTOR_ENV="test",
                   SECRET_KEYS=settings.secret_keys[0], CONNECTOR_DATA_DIR=tmp, SMTP_URL="",
                   LOG_LEVEL="WARNING", ALLOW_PRIVATE_ATS_HOSTS="on")
        push_ids = add_pushes(services, fake, args.results, organization="Bench", label="bench")
        rate = limit / args.per
        deadline_seconds = 3 * args.results / rate + 120
        with workers(args.workers, env, Path(args.logs or tmp)):
            started = time.monotonic()
            for push_id in push_ids:
                services.queue.enqueue("jobs.pushes.deliver_push", push_id)
            while delivered(services) < args.results:
                if time.monotonic() - started > deadline_seconds:
                    raise SystemExit(f"only {delivered(services)} of {args.results} delivered")
                time.sleep(0.2)
            elapsed = time.monotonic() - started
            runs = job_runs(args.redis_url)
        services.close()
    fake.stop()
    markers = Counter(note["body"] for note in fake.notes)
    return {"elapsed": elapsed, "floor": args.results / rate,
            "burst_floor": max(0, args.results - limit) / rate, "throttled": fake.throttled,
            "requests": fake.requests, "notes": len(fake.notes),
            "duplicates": sum(n - 1 for n in markers.values()), "tokens": fake.tokens_issued,
            "runs": runs}


def job_runs(redis_url: str) -> int:
    """Jobs the workers have run so far: each push's deliveries and its deferrals alike."""
    workers = Worker.all(connection=redis.Redis.from_url(redis_url))
    return sum(w.successful_job_count + w.failed_job_count for w in workers)


def load() -> str:
    """The machine's load averages over 1, 5 and 15 minutes."""
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def report(limit: int, per: float, result: dict, loads: tuple[str, str]) -> None:
    print(f"-- {limit} requests per {per:g} s (load before {loads[0]}, after {loads[1]})")
    print(f"total time          {result['elapsed']:8.1f} s")
    ratio = result["elapsed"] / result["floor"]
    print(f"floor N/(limit/per) {result['floor']:8.1f} s    ratio {ratio:.3f}")
    print(f"floor after burst   {result['burst_floor']:8.1f} s")
    share = result["throttled"] / max(result["requests"], 1)
    print(f"429s                {result['throttled']:8d}    of {result['requests']} requests "
          f"({share:.2%})")
    print(f"notes / duplicates  {result['notes']:8d} / {result['duplicates']}")
    print(f"tokens fetched      {result['tokens']:8d}")
    print(f"jobs run            {result['runs']:8d}    ({result['runs'] / result['notes']:.2f} "
          "a note: deliveries and deferrals)")


def main() -> None:
    default_limit, default_per = MANIFEST.rate_limit
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=default_limit,
                        help="requests per window (the adapter's default)")
    parser.add_argument("--per", type=float, default=float(default_per), help="window, seconds")
    parser.add_argument("--factors", default="1,5", help="limits to run, as multiples of --limit")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--logs", help="keep the workers' logs in this directory")
    args = parser.parse_args()
    print(f"{args.results} notes, {args.workers} workers; Python {platform.python_version()}, "
          f"{os.cpu_count()} cores")
    for factor in (int(f) for f in args.factors.split(",")):
        before = load()
        result = run(args, args.limit * factor)
        report(args.limit * factor, args.per, result, (before, load()))


if __name__ == "__main__":
    main()
