"""Webhook acknowledgement throughput and latency: the connector against a bare Flask app.

Both run under the same gunicorn settings (sync workers). The connector gets a fresh database
(PostgreSQL + Redis, or SQLite with the in-process queue) and a Greenhouse installation made by
the real CLI; each request is a signed candidate_stage_change delivery with its own event id, for
a stage no rule matches, so it is verified, parsed, stored and enqueued. The bare app
(bench/bare_app.py) only reads the body and answers 200. Separate client processes with raw
asyncio sockets drive two phases per app: a closed loop (--concurrency connections back to back
for --seconds, after a warm-up) and an open loop (--rate requests/s on a fixed schedule, latency
counted from the scheduled send time, so queueing delay is not hidden). Sync workers close the
connection after every answer, so latencies include the TCP connect.

Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (unless --database sqlite):

  .venv/bin/python bench/webhook_ack.py [--seconds 10] [--concurrency 16] [--rate 200]
                                        [--workers N] [--database postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import os
import platform
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import redis
import sqlalchemy
from cryptography.fernet import Fernet

from adapters.greenhouse.adapter import GreenhouseAdapter
from connector import migrate

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
FIXTURE = ROOT / "tests/adapters/greenhouse/fixtures/candidate_stage_change.json"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/14"
WARMUP = 2.0  # seconds of closed-loop load before the measured window
TIMEOUT = 30.0  # seconds one request may take before it counts as an error
HEADS_PER_SECOND = 6000  # request heads each client process builds ahead, per second of load
Heads = Iterator[bytes]


class Target(NamedTuple):
    name: str
    port: int
    path: str
    body: bytes
    headers: dict


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrate_db(url: str) -> None:
    engine = sqlalchemy.create_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


@contextlib.contextmanager
def database(kind: str, tmp: Path):
    """Yield (DATABASE_URL, REDIS_URL or None) for a fresh, migrated database; drop it after."""
    if kind == "sqlite":
        migrate_db(f"sqlite:///{tmp / 'bench.db'}")
        yield f"sqlite:///{tmp / 'bench.db'}", None
        return
    queue = redis.Redis.from_url(REDIS_URL)
    queue.flushdb()
    name = f"connector_bench_{os.getpid()}"
    admin = sqlalchemy.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        migrate_db(f"{PG}/{name}")
        yield f"postgresql://postgres@127.0.0.1:5432/{name}", REDIS_URL
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        queue.flushdb()


def install(env: dict) -> dict:
    """Create the Greenhouse installation with the real CLI; return the JSON line it prints."""
    result = subprocess.run(
        [str(BIN / "connector"), "install", "greenhouse", "--organization", "Bench", "--name",
         "Bench", "--trigger-stage", "Some unmapped stage", "--credential", "client_id=x",
         "--credential", "client_secret=y", "--credential", "user_id=1"],
        env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"connector install failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def gunicorn(app: str, port: int, workers: int, env: dict, probe: urllib.request.Request):
    """Run `app` under gunicorn with sync workers until the block ends; wait for `probe`."""
    log = Path(env["CONNECTOR_DATA_DIR"]) / f"gunicorn-{port}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(BIN / "python"), "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
             str(workers), "--worker-class", "sync", app],
            env=env, cwd=ROOT, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), urllib.request.urlopen(probe, timeout=2):
                break  # urlopen raises for anything but a 2xx answer
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{app} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def request_heads(target: Target, prefix: str, count: int) -> Heads:
    """`count` request heads built now, each with its own Greenhouse-Event-ID; more if needed."""
    lines = [f"POST {target.path} HTTP/1.1", f"Host: 127.0.0.1:{target.port}",
             f"Content-Length: {len(target.body)}"]
    fixed = "\r\n".join(lines + [f"{key}: {value}" for key, value in target.headers.items()])
    head = f"{fixed}\r\nGreenhouse-Event-ID: {prefix}-{{}}\r\n\r\n".format
    return itertools.chain([head(i).encode() for i in range(count)],
                           (head(i).encode() for i in itertools.count(count)))


class Conn:
    """One HTTP/1.1 connection, reopened whenever the server closes it."""

    def __init__(self, port: int):
        self.port, self.reader, self.writer = port, None, None

    async def send(self, head: bytes, body: bytes) -> tuple[int, bytes, float]:
        """Send one request; return the status, the answer body and when it was complete."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(head + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lower = raw.lower()
        at = lower.find(b"\r\ncontent-length:")
        length = int(lower[at + 17:lower.index(b"\r\n", at + 2)]) if at >= 0 else 0
        answer, done = await self.reader.readexactly(length), time.monotonic()
        if b"\r\nconnection: close" in lower:
            await self.reader.read()  # the server's FIN: it closes first and keeps TIME_WAIT
            self.close()
        return int(raw[9:12]), answer, done

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Stats:
    """What one client process saw: latencies of 200s, other statuses, errors, CPU time."""

    def __init__(self):
        self.latencies, self.other, self.errors, self.samples = [], Counter(), Counter(), {}
        self.first, self.last, self.cpu = 0.0, 0.0, 0.0  # first: when the measured window opened

    def add(self, started: float, outcome: tuple) -> None:
        status, answer, done = outcome
        self.last = max(self.last, done)
        if status == 200:
            self.latencies.append(done - started)
        elif isinstance(status, int):
            self.other[status] += 1
            self.samples.setdefault(status, answer[:300])
        else:
            self.errors[status] += 1


async def exchange(conn: Conn, head: bytes, body: bytes) -> tuple:
    """One request: (status or error name, answer body, time the answer was complete)."""
    try:
        async with asyncio.timeout(TIMEOUT):
            return await conn.send(head, body)
    except (OSError, EOFError, TimeoutError, ValueError, asyncio.LimitOverrunError) as exc:
        conn.close()
        return type(exc).__name__, b"", time.monotonic()


async def closed_loop(target: Target, heads: Heads, conns: int, start: float,
                      seconds: float, stats: Stats) -> None:
    """`conns` connections send back to back; keep requests started after the warm-up."""
    measured, end = start + WARMUP, start + WARMUP + seconds

    async def connection() -> None:
        conn = Conn(target.port)
        while (started := time.monotonic()) < end:
            outcome = await exchange(conn, next(heads), target.body)
            if started >= measured:
                stats.add(started, outcome)

    stats.first = measured
    await asyncio.gather(*(connection() for _ in range(conns)))


async def open_loop(target: Target, heads: Heads, rate: float, first: int, step: int,
                    start: float, seconds: float, stats: Stats) -> None:
    """Request i is due at start + i/rate; its latency counts from then, not from the send."""
    idle: list[Conn] = []

    async def one(due: float) -> None:
        conn = idle.pop() if idle else Conn(target.port)
        stats.add(due, await exchange(conn, next(heads), target.body))
        if conn.writer is not None:
            idle.append(conn)

    tasks, i, stats.first = [], first, start
    while (due := start + i / rate) < start + seconds:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        tasks.append(asyncio.create_task(one(due)))
        i += step
    await asyncio.gather(*tasks)


def client(target: Target, plan: dict, index: int) -> Stats:
    """One client process: build its heads, wait for the common start, run its share."""
    mode, seconds, procs = plan["mode"], plan["seconds"], len(plan["conns"])
    share = (WARMUP + seconds) * HEADS_PER_SECOND if mode == "closed" \
        else seconds * plan["rate"] / procs
    heads = request_heads(target, f"bench-{mode}-{index}", int(share) + 1)
    stats, cpu = Stats(), time.process_time()
    time.sleep(max(0.0, plan["start"] - time.monotonic()))
    if mode == "closed":
        run = closed_loop(target, heads, plan["conns"][index], plan["start"], seconds, stats)
    else:
        run = open_loop(target, heads, plan["rate"], index, procs, plan["start"], seconds, stats)
    asyncio.run(run)
    stats.cpu = time.process_time() - cpu
    return stats


def measure(target: Target, mode: str, args: argparse.Namespace) -> dict:
    """Run one phase against one target from several client processes; merge what they saw."""
    procs = min(args.concurrency, os.cpu_count() or 1)
    conns = [args.concurrency // procs + (i < args.concurrency % procs) for i in range(procs)]
    plan = dict(mode=mode, seconds=args.seconds, rate=args.rate, conns=conns,
                start=time.monotonic() + 1.0)
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        parts = pool.starmap(client, [(target, plan, i) for i in range(procs)])
    latencies = sorted(x for part in parts for x in part.latencies)
    span = max(p.last for p in parts) - min(p.first for p in parts)
    merged = {"other": Counter(), "errors": Counter(), "samples": {}}
    for part in parts:
        for key, value in merged.items():
            value.update(getattr(part, key))
    wall = args.seconds + (WARMUP if mode == "closed" else 0)
    return dict(merged, rps=len(latencies) / max(span, 1e-9), p50=pct(latencies, 0.50),
                p99=pct(latencies, 0.99), cpu=sum(p.cpu for p in parts) / wall)


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) in milliseconds."""
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


def busy_share(seconds: float = 1.0) -> str:
    """How busy the CPUs are before the run (from /proc/stat): other load skews the figures."""
    def sample() -> list[int]:
        with open("/proc/stat") as stat:
            return [int(x) for x in stat.readline().split()[1:9]]
    try:
        before, _, after = sample(), time.sleep(seconds), sample()
    except OSError:
        return "unknown"
    delta = [b - a for a, b in zip(before, after)]
    return f"{100 - 100 * (delta[3] + delta[4]) / max(sum(delta), 1):.0f}%"


def run(args: argparse.Namespace, workers: int) -> dict:
    """Set up database, installation and apps; return the figures for each target and phase."""
    port, bare_port, body = free_port(), free_port(), FIXTURE.read_bytes()
    with tempfile.TemporaryDirectory(prefix="connector-bench-") as tmp, \
            database(args.database, Path(tmp)) as (db_url, redis_url):
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update(DATABASE_URL=db_url, SECRET_KEYS=Fernet.generate_key().decode(),
                   PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", CONNECTOR_DATA_DIR=tmp)
        env.update({"REDIS_URL": redis_url} if redis_url else {})
        installation = install(env)
        path = urlsplit(installation["webhook_url"]).path
        headers = GreenhouseAdapter.sign(body, installation["webhook_secret"])
        apps = [("connector", port, "connector.wsgi:app", "/healthz", None),
                ("bare", bare_port, "bench.bare_app:app", path, b"")]  # bare: POST only
        results = {}
        for name, app_port, app, probe, data in apps:
            target = Target(name, app_port, path, body, headers)
            probe = urllib.request.Request(f"http://127.0.0.1:{app_port}{probe}", data)
            with gunicorn(app, app_port, workers, env, probe):
                results[name] = {mode: measure(target, mode, args) for mode in ("closed", "open")}
        return results


def report(results: dict, args: argparse.Namespace, workers: int, busy: str) -> None:
    """Print the set-up, the figures as a plain and a markdown table, and the verdicts."""
    queue = "Redis (rq, db 14)" if args.database == "postgresql" else "in-process threads"
    print(f"\ncores {os.cpu_count()} | gunicorn sync workers {workers} | database {args.database}"
          f" | queue {queue} | Python {platform.python_version()} | {args.seconds:g} s a phase"
          f" | client processes {min(args.concurrency, os.cpu_count() or 1)}"
          f" | CPUs busy before the run {busy}")
    head = ["target", "phase", "req/s", "p50 ms", "p99 ms", "non-200", "errors", "client CPU"]
    table, notes = [], []
    for name, phases in results.items():
        for phase, r in phases.items():
            label = f"closed, {args.concurrency} conns" if phase == "closed" \
                else f"open, {args.rate:g} req/s"
            table.append([name, label, f"{r['rps']:.0f}", f"{r['p50']:.1f}", f"{r['p99']:.1f}",
                          str(sum(r["other"].values())), str(sum(r["errors"].values())),
                          f"{r['cpu'] * 100:.0f}%"])
            problems = [f"{n} x HTTP {s}, e.g. {r['samples'][s]!r}" for s, n in r["other"].items()]
            problems += [f"{n} x {error}" for error, n in r["errors"].items()]
            notes += [f"  {name} {phase}: {problem}" for problem in problems]
    widths = [max(len(row[i]) for row in [head] + table) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths]] + table:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))
    print("\n".join(notes + ["(client CPU: load generator CPU time as a share of one core)"]))
    ratio = results["connector"]["closed"]["rps"] / results["bare"]["closed"]["rps"]
    p99 = results["connector"]["open"]["p99"]
    print(f"\nconnector/bare throughput: {ratio:.2f} (a quarter or more: "
          f"{'yes' if ratio >= 0.25 else 'NO'})\nconnector p99 at {args.rate:g} req/s: "
          f"{p99:.1f} ms (under 50 ms: {'yes' if p99 < 50 else 'NO'})\n")
    print("| " + " | ".join(head) + " |\n|" + "|".join(["---"] * 2 + ["---:"] * 6) + "|")
    print("\n".join("| " + " | ".join(row) + " |" for row in table))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--concurrency", type=int, default=16, help="closed-loop connections")
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop requests/s")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default cores + 1)")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    workers = args.workers or (os.cpu_count() or 1) + 1
    busy = busy_share()
    report(run(args, workers), args, workers, busy)


if __name__ == "__main__":
    main()
