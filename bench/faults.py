"""Each fault the connector is built to survive, its measured recovery time next to its bound.

One stack as production runs it (tests/faults/stack.py): gunicorn, `connector worker`
processes, PostgreSQL behind a proxy that can hang, a redis-server of its own, real SMTP and
a scripted ATS on loopback. The faults, in turn: SIGKILL of a worker, and two SIGTERMs to
another (the second ends it at once), each in the middle of a push; the ATS answering 500s (some after writing) then
429s; FLUSHDB with a backlog queued; Redis stopped and started empty; PostgreSQL hung.
Each line says how long recovery took, the bound it is held to, and whether every event
still ended with exactly one session, one e-mail and one note.

Needs PostgreSQL on 127.0.0.1:5432 and redis-server on the PATH:

  .venv/bin/python bench/faults.py [--burst 340] [--patience 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the stack and its fakes live with the tests

from connector import migrate  # noqa: E402
from tests.faults import scenarios  # noqa: E402
from tests.faults.stack import running  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


@contextmanager
def database():
    """A fresh, migrated PostgreSQL database, dropped after."""
    name = f"connector_bench_faults_{os.getpid()}"
    admin = sqlalchemy.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine = sqlalchemy.create_engine(f"{PG}/{name}")
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(burst: int, patience: float) -> list[tuple[scenarios.Recovery, bool]]:
    """Every fault on one stack; each recovery with whether its events were done exactly once."""
    results = []
    with database() as url, tempfile.TemporaryDirectory() as directory, \
            running(url, Path(directory)) as stack:
        for fault in (lambda: scenarios.kill_workers(stack, patience),
                      lambda: [scenarios.failing_ats(stack, patience)],
                      lambda: [scenarios.flushdb(stack, burst, patience)],
                      lambda: [scenarios.redis_restart(stack, patience)],
                      lambda: scenarios.postgres_hung(stack, patience)):
            for recovery in fault():
                results.append((recovery, _once(stack, recovery.events)))
    return results


def _once(stack, events: list[int]) -> bool:
    return all(counts == (1, 1, 1) for counts in stack.counts(events).values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--burst", type=int, default=340,
                        help="events in the FLUSHDB burst (each makes three rows)")
    parser.add_argument("--patience", type=float, default=3.0,
                        help="how many bounds to wait before a recovery counts as failed")
    args = parser.parse_args()
    started = time.monotonic()
    results = run(args.burst, args.patience)
    print(f"\n{platform.python_version()} on {os.cpu_count()} cores; "
          f"{time.monotonic() - started:.0f} s in all")
    print(f"{'fault':<36} {'recovery':>9} {'bound':>7}  {'within':<6} {'once':<4}")
    for recovery, once in results:
        within = "yes" if recovery.seconds <= recovery.bound else "NO"
        print(f"{recovery.fault:<36} {recovery.seconds:>8.1f}s {recovery.bound:>6.0f}s  "
              f"{within:<6} {'yes' if once else 'NO':<4}")
    print("recovery: from the fault (or, for an outage, from its end) until every row it "
          "touched was queued again or done; 'once': one session, e-mail and note per event")


if __name__ == "__main__":
    main()
