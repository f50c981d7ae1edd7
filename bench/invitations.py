"""A burst of stage moves, invited end to end: acknowledgement, e-mail and note per candidate.

The connector gets a fresh PostgreSQL database and a Greenhouse installation made by the real
CLI, whose trigger stage is the moves' stage and whose API is a rate-limited fake Greenhouse on
loopback (tests/fakes/greenhouse_server.py). The web runs under the Procfile's gunicorn settings
(sync workers, access log, the link-masking logger); --workers `connector worker` processes do
the rest. E-mail goes to a real SMTP server on loopback (aiosmtpd) that notes when each message
arrives. A client sends --moves distinct signed candidate_stage_change deliveries over
--concurrency connections and notes when each is acknowledged.

Printed: how long the acknowledgements took; invitations per second (first acknowledgement to
the last e-mail received) beside the yardstick of 50/s; each e-mail's latency after its move's
acknowledgement (p50, p95, max); e-mails and notes per candidate (exactly one each); when the
last note landed beside the floor the ATS's limit allows (moves / (limit/per)); the CPU each
group of processes used until the last e-mail. --no-notes stops once the e-mails are in;
--profile-workers writes each worker's cProfile to --logs.

The web runs with CONNECTOR_ENV=production as the Procfile says; the workers and the CLI run
with CONNECTOR_ENV=test, since production only calls an ATS over https on its own hosts and the
fake listens on http://127.0.0.1. Needs PostgreSQL on 127.0.0.1:5432 and Redis (database 4 by
default, emptied before and after):

  .venv/bin/python bench/invitations.py [--moves 1000] [--workers 2] [--web-workers 3]
      [--concurrency 16] [--limit 50] [--per 30] [--redis-url redis://127.0.0.1:6379/4]
      [--no-notes] [--profile-workers] [--logs DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fakes live with the tests

from adapters.greenhouse.adapter import GreenhouseAdapter  # noqa: E402
from bench.cpu import cpu_by_group  # noqa: E402
from bench.load import Conn  # noqa: E402
from bench.push_rate import database, workers  # noqa: E402
from bench.webhook_ack import free_port, stop  # noqa: E402
from config.gunicorn import CONTROL_SOCKET_OFF, LOGGER_CLASS  # noqa: E402
from tests.fakes.greenhouse_server import RateLimitedGreenhouse  # noqa: E402

FIXTURE = ROOT / "tests/adapters/greenhouse/fixtures/candidate_stage_change.json"
TARGET = 50.0  # invitations per second
TARGET_P95 = 10.0  # seconds from acknowledgement to e-mail
NOTES_RATIO = 1.05  # the last note's time over the ATS's floor


class TimedGreenhouse(RateLimitedGreenhouse):
    """The rate-limited fake, noting when each note was created."""

    def __init__(self, limit: int, per: float):
        super().__init__(limit=limit, per=per)
        self.note_times: list[float] = []

    def _create(self, request, budget):
        response = super()._create(request, budget)
        if response.status_code == 201:
            with self._lock:
                self.note_times.append(time.monotonic())
        return response


class Inbox:
    """An aiosmtpd handler: when each recipient's message arrived."""

    def __init__(self):
        self.arrivals: dict[str, list[float]] = {}

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        for rcpt in envelope.rcpt_tos:
            self.arrivals.setdefault(rcpt, []).append(now)
        return "250 Message accepted for delivery"

    def count(self) -> int:
        return sum(len(times) for times in self.arrivals.values())


def install(env: dict, fake: TimedGreenhouse) -> dict:
    """The Greenhouse installation, made by the real CLI; the JSON line it prints."""
    credentials = [arg for key, value in fake.credentials.items()
                   for arg in ("--credential", f"{key}={value}")]
    result = subprocess.run(
        [sys.executable, "-m", "connector.cli", "install", "greenhouse", "--organization",
         "Bench", "--name", "Bench", "--trigger-stage", "Assessment", "--api-base-url",
         fake.url, *credentials], env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"connector install failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def web(port: int, count: int, env: dict, logs: Path):
    """gunicorn as the Procfile runs it, on loopback, until the block ends."""
    with (logs / "web.log").open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "connector.wsgi:app", "--bind",
             f"127.0.0.1:{port}", "--workers", str(count), "--access-logfile", "-",
             "--logger-class", LOGGER_CLASS, CONTROL_SOCKET_OFF],
            env=env, cwd=ROOT, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {logs / 'web.log'}")
            time.sleep(0.1)
        yield [proc.pid]
    finally:
        stop(proc)


def moves(count: int, secret: str) -> list[tuple[str, bytes, dict]]:
    """`count` signed moves into "Assessment", each of its own candidate and application."""
    template = json.loads(FIXTURE.read_bytes())
    signed = []
    for n in range(count):
        application = template["payload"]["application"]
        application["id"] = 5_000_000 + n
        application["candidate"]["id"] = 7_000_000 + n
        application["candidate"]["email_addresses"][0]["value"] = address(n)
        body = json.dumps(template).encode()
        headers = dict(GreenhouseAdapter.sign(body, secret), **{
            "Greenhouse-Event-ID": f"bench-move-{n}"})
        signed.append((address(n), body, headers))
    return signed


def address(n: int) -> str:
    return f"candidate{n}@example.com"


async def send_all(port: int, path: str, signed: list, concurrency: int) -> dict[str, float]:
    """POST every move over `concurrency` connections; when each was acknowledged (200)."""
    acked, todo = {}, list(reversed(signed))

    async def connection() -> None:
        conn = Conn(port)
        while todo:
            who, body, headers = todo.pop()
            lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
                     f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in headers.items()]
            status, answer, done = await conn.send(("\r\n".join(lines) + "\r\n\r\n").encode(),
                                                   body)
            if status != 200:
                raise SystemExit(f"move for {who} answered {status}: {answer[:300]!r}")
            acked[who] = done

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return acked


def wait_for(what, count: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while what() < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {what()} of {count} after {seconds:.0f} s")
        time.sleep(0.1)


def run(args) -> dict:
    from aiosmtpd.controller import Controller

    fake = TimedGreenhouse(args.limit, args.per).start()
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with database(args.redis_url) as url, \
                tempfile.TemporaryDirectory(prefix="connector-bench-") as tmp:
            logs = Path(args.logs or tmp)
            env = dict(os.environ, DATABASE_URL=url, REDIS_URL=args.redis_url,
                       CONNECTOR_ENV="test", SECRET_KEYS=Fernet.generate_key().decode(),
                       CONNECTOR_DATA_DIR=tmp, SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
                       MAIL_FROM="interviews@connector.bench", LOG_LEVEL="WARNING",
                       PUBLIC_BASE_URL="https://connector.bench", ALLOW_PRIVATE_ATS_HOSTS="on",
                       RECORDINGS_URL=f"file://{tmp}/recordings", PYTHONPATH=str(ROOT))
            installation = install(env, fake)
            signed = moves(args.moves, installation["webhook_secret"])
            path = urlsplit(installation["webhook_url"]).path
            with workers(args.workers, env, logs, args.profile_workers) as worker_pids, \
                    web(port, args.web_workers, dict(env, CONNECTOR_ENV="production"),
                        logs) as web_pids:
                groups = {"workers": worker_pids, "web": web_pids,
                          "PostgreSQL": urlsplit(url).path.lstrip("/")}
                before, started = cpu_by_group(groups), time.monotonic()
                acked = asyncio.run(send_all(port, path, signed, args.concurrency))
                wait_for(inbox.count, args.moves, 600)
                cpu = {name: used - before.get(name, 0.0)
                       for name, used in cpu_by_group(groups).items()}
                cpu["wall"] = time.monotonic() - started
                if not args.no_notes:
                    wait_for(lambda: len(fake.note_times), args.moves,
                             3 * args.moves * args.per / args.limit + 120)
                time.sleep(2)  # a duplicate would land now
    finally:
        smtp.stop()
        fake.stop()
    return {"started": started, "acked": acked, "arrivals": inbox.arrivals, "cpu": cpu,
            "notes": Counter(note["candidate_id"] for note in fake.notes),
            "note_times": fake.note_times, "throttled": fake.throttled}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def report(args, result: dict, load: str) -> None:
    acked, arrivals = result["acked"], result["arrivals"]
    first_ack = min(acked.values())
    last_mail = max(t for times in arrivals.values() for t in times)
    latency = [arrivals[who][0] - acked[who] for who in acked]
    rate = args.moves / (last_mail - first_ack)
    floor = args.moves / (args.limit / args.per)
    last_note = max(result["note_times"], default=first_ack) - first_ack
    mails, notes = Counter(map(len, arrivals.values())), Counter(result["notes"].values())
    print(f"{args.moves} moves, {args.workers} workers, {args.web_workers} web workers, "
          f"{args.concurrency} connections; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores; load before: {load}")
    print(f"acknowledgements        {max(acked.values()) - result['started']:8.1f} s")
    print(f"invitations per second  {rate:8.1f}    target {TARGET:g}/s, ratio "
          f"{rate / TARGET:.2f}")
    print(f"e-mail after ack        p50 {pct(latency, 0.5):.1f} s, p95 {pct(latency, 0.95):.1f} s"
          f" (target <= {TARGET_P95:g} s), max {max(latency):.1f} s")
    cpu = result["cpu"]
    wall = cpu.pop("wall")
    print("CPU until the last e-mail  " + ", ".join(
        f"{name} {seconds:.1f} s ({seconds / wall:.0%} of a core)" for name, seconds in cpu.items())
        + f"; {wall:.1f} s wall")
    print(f"e-mails per candidate   {dict(mails)}  ({len(arrivals)} candidates)")
    print(f"notes per candidate     {dict(notes)}  ({len(result['notes'])} candidates)")
    print(f"last note after 1st ack {last_note:8.1f} s    floor {floor:.0f} s "
          f"({args.limit} per {args.per:g} s), ratio {last_note / floor:.3f} "
          f"(target <= {NOTES_RATIO:g}); 429s {result['throttled']}")
    if args.no_notes:
        print(f"(--no-notes: {len(result['note_times'])} notes were in when the run stopped)")
    ok = rate >= TARGET and pct(latency, 0.95) <= TARGET_P95 and set(mails) == {1} \
        and len(arrivals) == args.moves
    if args.no_notes:  # the notes were not awaited: the verdict is the e-mails' alone
        print(f"target met, e-mails only: {'yes' if ok else 'NO'}")
        return
    ok = ok and set(notes) == {1} and len(result["notes"]) == args.moves \
        and last_note / floor <= NOTES_RATIO and result["throttled"] <= args.moves / 100
    print(f"target met: {'yes' if ok else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="`connector worker` processes")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--limit", type=int, default=50, help="ATS requests per window")
    parser.add_argument("--per", type=float, default=30.0,
                        help="the window, seconds (Harvest v3 counts 50 per 30 s)")
    parser.add_argument("--redis-url", default=os.environ.get(
        "BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"), help="emptied before and after")
    parser.add_argument("--no-notes", action="store_true",
                        help="stop once the e-mails are in, without waiting for every note")
    parser.add_argument("--profile-workers", action="store_true",
                        help="run the workers under cProfile, writing worker-N.prof to --logs")
    parser.add_argument("--logs", help="keep the processes' logs in this directory")
    args = parser.parse_args()
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() \
        else ["?"]
    report(args, run(args), " ".join(load))


if __name__ == "__main__":
    main()
