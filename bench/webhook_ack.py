"""Webhook acknowledgement: the connector against a minimal durable endpoint and a bare app.

All three run under the Procfile's gunicorn settings (sync workers, 3 of them), one after the
other in the same run. The connector gets a fresh PostgreSQL database and Redis (or SQLite with
the in-process queue) and a Greenhouse installation made by the real CLI; each request is a
signed candidate_stage_change delivery with its own event id, for a stage no rule matches, so
it is verified, parsed, stored and enqueued. The minimal endpoint (bench/minimal_app.py) only
verifies the signature, INSERTs the body into the same table and enqueues an rq job: the least
a durable endpoint can do, and the yardstick. The bare app (bench/bare_app.py) reads the body
and answers 200. bench/load.py drives each in a closed and an open loop. Each closed loop is
cut into --slices slices that the three take in turns, so that a machine whose speed drifts
weighs on all three alike; --rounds repeats everything (the first two swapping places every
other round) and reports each round's ratio and their median.
In the open loop, the CPU that PostgreSQL and Redis spend per request is printed beside the
gunicorn workers' own: the part of a request's cost that lands outside the app.

Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (unless --database sqlite):

  .venv/bin/python bench/webhook_ack.py [--seconds 10] [--slices 4] [--concurrency 16]
      [--rate 200] [--workers 3] [--rounds 1] [--database postgresql|sqlite] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import redis
import sqlalchemy
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu import cpu_by_group  # noqa: E402
from load import Target, client_processes, measure, tally  # noqa: E402

from adapters.greenhouse.adapter import GreenhouseAdapter  # noqa: E402
from config.gunicorn import CONTROL_SOCKET_OFF  # noqa: E402
from connector import migrate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
FIXTURE = ROOT / "tests/adapters/greenhouse/fixtures/candidate_stage_change.json"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
WARMUP_SECONDS = 3.0  # of closed-loop load on each app before the first round, unmeasured
SLICE_WARMUP = 0.5  # seconds of each slice before its measured window: connections ramp up
APPS = (("connector", "connector.wsgi:app"), ("minimal", "bench.minimal_app:app"),
        ("bare", "bench.bare_app:app"))


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
def database(kind: str, tmp: Path, redis_url: str):
    """Yield (DATABASE_URL, REDIS_URL or None) for a fresh, migrated database; drop it after."""
    if kind == "sqlite":
        migrate_db(f"sqlite:///{tmp / 'bench.db'}")
        yield f"sqlite:///{tmp / 'bench.db'}", None
        return
    queue = redis.Redis.from_url(redis_url)
    queue.flushdb()
    name = f"connector_bench_{os.getpid()}"
    admin = sqlalchemy.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        migrate_db(f"{PG}/{name}")
        yield f"postgresql://postgres@127.0.0.1:5432/{name}", redis_url
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
def gunicorn(app: str, port: int, workers: int, env: dict):
    """Run `app` under gunicorn with sync workers until the block ends; wait until it answers."""
    log = Path(env["CONNECTOR_DATA_DIR"]) / f"gunicorn-{port}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(BIN / "python"), "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
             str(workers), "--worker-class", "sync", CONTROL_SOCKET_OFF, app],
            env=env, cwd=ROOT, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            if _answers(f"http://127.0.0.1:{port}/"):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{app} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield proc
    finally:
        stop(proc)



def stop(proc: subprocess.Popen) -> None:
    """End a server process: politely, then for good if it does not go within 30 s."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _answers(url: str) -> bool:
    """Whether an HTTP server answers at `url`, with any status."""
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


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


def environment(tmp: str, db_url: str, redis_url: str | None) -> dict:
    """The apps' environment: the fresh database, a Greenhouse installation, its secret."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DATABASE_URL=db_url, SECRET_KEYS=Fernet.generate_key().decode(),
               PUBLIC_BASE_URL="http://127.0.0.1", CONNECTOR_DATA_DIR=tmp)
    env.update({"REDIS_URL": redis_url} if redis_url else {})
    installation = install(env)
    engine = sqlalchemy.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        row_id = conn.execute(sqlalchemy.text("SELECT id FROM installations WHERE public_id = :p"),
                              {"p": installation["installation_id"]}).scalar_one()
    engine.dispose()
    return dict(env, MINIMAL_WEBHOOK_SECRET=installation["webhook_secret"],
                MINIMAL_INSTALLATION_ID=str(row_id), BENCH_WEBHOOK_PATH=urlsplit(
                    installation["webhook_url"]).path)


def run(args: argparse.Namespace) -> list[dict]:
    """Start the three apps; measure each in turn, round after round; one dict per round."""
    body, rounds = FIXTURE.read_bytes(), []
    with tempfile.TemporaryDirectory(prefix="connector-bench-") as tmp, \
            database(args.database, Path(tmp), args.redis_url) as (db_url, redis_url), \
            contextlib.ExitStack() as apps:
        env = environment(tmp, db_url, redis_url)
        path = env["BENCH_WEBHOOK_PATH"]
        stores = stores_of(db_url, redis_url)
        headers = GreenhouseAdapter.sign(body, env["MINIMAL_WEBHOOK_SECRET"])
        targets = []
        for name, app in APPS:
            if name == "minimal" and redis_url is None:
                continue  # it needs PostgreSQL and Redis
            port = free_port()
            server = apps.enter_context(gunicorn(app, port, args.workers, env))
            targets.append(Target(name, port, path, body, headers, server.pid))
        for target in targets:  # fresh workers import lazily and fill their caches first
            measure(target, "closed", args.concurrency, WARMUP_SECONDS, args.rate, "warm")
        for number in range(args.rounds):
            # Every other round the minimal endpoint goes first: a load that comes and goes
            # on the machine then weighs on both by turns.
            order = targets if number % 2 == 0 else [targets[1], targets[0], *targets[2:]]
            closed = closed_slices(order, args, str(number))
            figures = {target.name: {"closed": closed[target.name], "open": with_stores_cpu(
                stores, lambda target=target: measure(
                    target, "open", args.concurrency, args.seconds, args.rate, str(number)))}
                for target in order}
            rounds.append({target.name: figures[target.name] for target in targets})
    return rounds


def stores_of(db_url: str, redis_url: str | None) -> dict:
    """The server processes behind the apps, for cpu_by_group: PostgreSQL's backends on the
    bench's database, and the Redis server."""
    if redis_url is None:
        return {}
    pid = redis.Redis.from_url(redis_url).info("server")["process_id"]
    return {"PostgreSQL": urlsplit(db_url).path.lstrip("/"), "Redis": [int(pid)]}


def with_stores_cpu(stores: dict, phase) -> dict:
    """A phase's figures, with the CPU PostgreSQL and Redis spent per request during it: the
    part of a request's cost that the gunicorn workers' own CPU does not show."""
    before = cpu_by_group(stores)
    figures = phase()
    after = cpu_by_group(stores)
    spent = sum(after[name] - before[name] for name in stores)
    figures["stores_ms"] = spent * 1000 / max(figures["count"], 1) if stores else float("nan")
    return figures


def closed_slices(order: list[Target], args: argparse.Namespace, tag: str) -> dict:
    """Each target's closed loop, run in `args.slices` slices that take turns (A B C C B A ...),
    merged: the machine's speed drifts over seconds, and turns expose every target alike."""
    parts: dict[str, list[dict]] = {target.name: [] for target in order}
    for number in range(args.slices):
        for target in (order if number % 2 == 0 else order[::-1]):
            parts[target.name].append(measure(
                target, "closed", args.concurrency, args.seconds / args.slices, args.rate,
                f"{tag}-{number}", warmup=SLICE_WARMUP))
    return {name: merged(slices) for name, slices in parts.items()}


def merged(slices: list[dict]) -> dict:
    """One closed loop's figures from its slices: requests over measured time, the median
    slice's latencies, every slice's other answers and errors."""
    middle = sorted(slices, key=lambda part: part["p50"])[len(slices) // 2]
    rps = sum(part["count"] for part in slices) / sum(part["span"] for part in slices)
    return dict(tally(slices), rps=rps, p50=middle["p50"], p99=middle["p99"],
                cpu=statistics.mean(p["cpu"] for p in slices), server_ms=float("nan"))


def report(rounds: list[dict], args: argparse.Namespace, busy: str, load: str) -> None:
    """Print the set-up, every round's figures, the ratios and verdicts, a markdown summary."""
    queue = "Redis (rq)" if args.database == "postgresql" else "in-process threads"
    print(f"\ncores {os.cpu_count()} | gunicorn sync workers {args.workers} | database "
          f"{args.database} | queue {queue} | Python {platform.python_version()} | "
          f"{args.seconds:g} s a phase, closed loops in {args.slices} slices | client processes "
          f"{client_processes(args.concurrency)} | CPUs busy before the run {busy} | "
          f"load average {load}")
    head = ["round", "target", "phase", "req/s", "p50 ms", "p99 ms", "non-200", "errors",
            "client CPU", "server CPU ms/req"]
    table, notes = [], []
    for number, results in enumerate(rounds, 1):
        for name, phases in results.items():
            for phase, r in phases.items():
                label = f"closed, {args.concurrency} conns" if phase == "closed" \
                    else f"open, {args.rate:g} req/s"
                table.append([str(number), name, label, f"{r['rps']:.0f}", f"{r['p50']:.1f}",
                              f"{r['p99']:.1f}", str(sum(r["other"].values())),
                              str(sum(r["errors"].values())), f"{r['cpu'] * 100:.0f}%",
                              f"{r['server_ms']:.2f}" if phase == "open" else ""])
                problems = [f"{n} x HTTP {s}, e.g. {r['samples'][s]!r}"
                            for s, n in r["other"].items()]
                problems += [f"{n} x {error}" for error, n in r["errors"].items()]
                notes += [f"  round {number} {name} {phase}: {p}" for p in problems]
    widths = [max(len(row[i]) for row in [head] + table) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths]] + table:
        print("  ".join(c.ljust(w) if 0 < i < 3 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))
    print("\n".join(notes + ["(client CPU: load generator CPU time as a share of one core; "
                              "server CPU: the gunicorn workers' CPU time per request, open loop)"]))
    verdicts(rounds, args)


def verdicts(rounds: list[dict], args: argparse.Namespace) -> None:
    """Each round's ratios, their medians, and whether the connector meets its targets."""
    def ratio(a: str, b: str) -> list[float]:
        return [r[a]["closed"]["rps"] / r[b]["closed"]["rps"] for r in rounds
                if a in r and b in r]  # on SQLite there is no minimal endpoint

    print()
    for a, b in (("connector", "minimal"), ("connector", "bare"), ("minimal", "bare")):
        if values := ratio(a, b):
            print(f"{a}/{b} throughput: {', '.join(f'{v:.2f}' for v in values)}"
                  f" (median {statistics.median(values):.2f})")
    if values := ratio("connector", "minimal"):
        print(f"connector at 0.9 x minimal or more (median): "
              f"{'yes' if statistics.median(values) >= 0.9 else 'NO'}")
    p99 = [r["connector"]["open"]["p99"] for r in rounds]
    print(f"connector p99 at {args.rate:g} req/s: {', '.join(f'{v:.1f}' for v in p99)} ms; "
          f"50 ms or less in {sum(v <= 50 for v in p99)} of {len(p99)} rounds\n")
    print("| | " + " | ".join(rounds[0]) + " |\n|---|" + "---:|" * len(rounds[0]))
    for label, phase, key, form in (
            (f"throughput, {args.concurrency} connections", "closed", "rps", "{:,.0f} req/s"),
            (f"p50 at {args.rate:g} req/s", "open", "p50", "{:.1f} ms"),
            (f"p99 at {args.rate:g} req/s", "open", "p99", "{:.1f} ms"),
            (f"workers' CPU per request at {args.rate:g} req/s", "open", "server_ms",
             "{:.2f} ms"),
            (f"PostgreSQL and Redis CPU per request at {args.rate:g} req/s", "open",
             "stores_ms", "{:.2f} ms")):
        if key == "stores_ms" and args.database != "postgresql":
            continue  # SQLite is inside the workers, and the queue is threads there
        cells = []
        for name in rounds[0]:
            values = sorted(r[name][phase][key] for r in rounds)
            low, mid, high = (form.format(v) for v in (values[0], statistics.median(values),
                                                       values[-1]))
            cells.append(mid if len(values) == 1 else f"{mid} ({low} to {high})")
        print(f"| {label} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--slices", type=int, default=4, help="turns the closed loops take "
                        "in each round")
    parser.add_argument("--concurrency", type=int, default=16, help="closed-loop connections")
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop requests/s")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (Procfile's)")
    parser.add_argument("--rounds", type=int, default=1, help="times to measure the three")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--redis-url", default=REDIS_URL, help="a database the run may flush "
                        "(default $BENCH_REDIS_URL or db 14)")
    args = parser.parse_args()
    busy, load = busy_share(), " ".join(f"{x:.2f}" for x in os.getloadavg())
    report(run(args), args, busy, load)


if __name__ == "__main__":
    main()
