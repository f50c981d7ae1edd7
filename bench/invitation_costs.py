"""What one invitation costs a worker: SQL statements, Redis commands and CPU, per job kind.

Signed stage moves are posted through the app in this process (the webhook view stores and
enqueues them), then the jobs they lead to run here, one after another, in the order a worker
would take them: every delivery, then every e-mail and every note. SQL statements (and pool
checkouts), Redis commands, wall time and the CPU of the thread running the job are counted per
job kind; --profile prints cProfile's heaviest functions (the times are then cProfile's, not the
jobs' own). The ATS is the rate-limited fake on loopback (with a limit high enough never to
refuse), the e-mail goes to a real SMTP server on loopback.

Needs PostgreSQL on 127.0.0.1:5432 and Redis (database 4 by default, emptied before and after):

  .venv/bin/python bench/invitation_costs.py [--moves 300] [--profile 25]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from cryptography.fernet import Fernet
from redis.connection import AbstractConnection
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.invitations import Inbox, free_port, moves  # noqa: E402
from bench.push_rate import database  # noqa: E402
from config import Settings  # noqa: E402
from connector import tasks  # noqa: E402
from connector.app import create_app  # noqa: E402
from connector.installations import create_installation  # noqa: E402
from connector.services import install  # noqa: E402
from connector.wiring import build_services  # noqa: E402
from jobs import leases  # noqa: E402
from jobs.queue import resolve, row_job_id, running  # noqa: E402
from tests.fakes.greenhouse_server import RateLimitedGreenhouse  # noqa: E402

KINDS = {tasks.PROCESS_DELIVERY: "delivery", tasks.SEND_EMAIL: "e-mail",
         tasks.DELIVER_PUSH: "note"}


class Counts:
    """SQL statements, pool checkouts and Redis commands, charged to the job kind now running.

    A statement run by Database.execute_now (outside the pool, one round trip) counts as SQL.
    """

    def __init__(self, db):
        self.kind = "web"
        self.sql, self.checks, self.redis = Counter(), Counter(), Counter()
        event.listen(db.engine, "before_cursor_execute", self._sql)
        event.listen(db.engine, "checkout", self._check)
        execute_now = db.execute_now

        def counted(statement, values):
            self._statement(str(statement))
            return execute_now(statement, values)

        db.execute_now = counted
        send, pack = AbstractConnection.send_command, AbstractConnection.pack_commands
        counts = self

        def send_command(connection, *args, **kwargs):
            counts._redis([args])
            return send(connection, *args, **kwargs)

        def pack_commands(connection, commands):
            commands = list(commands)
            counts._redis(commands)
            return pack(connection, commands)

        AbstractConnection.send_command = send_command
        AbstractConnection.pack_commands = pack_commands

    def _sql(self, _conn, _cursor, statement, *_args):
        self._statement(statement)

    def _statement(self, statement: str) -> None:
        self.sql[self.kind] += 1
        if os.environ.get("SHOW_SQL") == self.kind:
            print(self.kind, statement.split("\n")[0][:150])

    def _redis(self, commands) -> None:
        self.redis[self.kind] += len(commands)
        if os.environ.get("SHOW_REDIS") == self.kind:
            for command in commands:
                print(self.kind, " ".join(str(part)[:40] for part in command[:3]))

    def _check(self, *_args):
        self.checks[self.kind] += 1  # a pool checkout (pinged first only after it sat idle)


def setup(services, fake, count: int, app) -> None:
    with services.db.session() as session:
        installation, secret = create_installation(
            session, services.keyring, ats="greenhouse", organization="Bench", name="Bench",
            trigger_stages=["Assessment"], template_id=None, api_base_url=fake.url,
            credentials=fake.credentials, strict_hosts=False)
        path = f"/webhooks/greenhouse/{installation.public_id}"
    client = app.test_client()
    for _who, body, headers in moves(count, secret):
        assert client.post(path, data=body, headers=headers).status_code == 200


def drain(services, counts: Counts, profiler) -> Counter:
    """Run every queued job here, a worker's way; the wall and thread CPU time each kind took."""
    queue, spent, cpu = services.queue, Counter(), Counter()
    while (job := queue.queue.dequeue_any([queue.queue], None, connection=queue.connection)):
        job, _queue = job
        path, args = job.func_name, tuple(job.args)
        counts.kind = KINDS.get(path, path)
        started, started_cpu = time.perf_counter(), time.thread_time()
        with running(row_job_id(path, args)), leases.hold():
            if profiler is None:
                resolve(path)(*args)
            else:
                profiler.runcall(resolve(path), *args)
        queue.send_after_job()
        spent[counts.kind] += time.perf_counter() - started
        cpu[counts.kind] += time.thread_time() - started_cpu
        counts.kind = "between"
        job.delete()
    return spent, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=300)
    parser.add_argument("--profile", type=int, default=0, help="print this many functions")
    parser.add_argument("--redis-url", default=os.environ.get(
        "BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"))
    args = parser.parse_args()
    from aiosmtpd.controller import Controller

    fake = RateLimitedGreenhouse(limit=10 ** 6, per=1).start()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with database(args.redis_url) as url, tempfile.TemporaryDirectory() as tmp:
            settings = Settings(env="test", database_url=url, redis_url=args.redis_url,
                                secret_keys=(Fernet.generate_key().decode(),),
                                data_dir=Path(tmp), allow_private_ats_hosts=True,
                                smtp_url=f"smtp://127.0.0.1:{smtp.port}",
                                public_base_url="https://connector.bench")
            services = install(build_services(settings))
            counts = Counts(services.db)
            setup(services, fake, args.moves, create_app(services=services))
            profiler = cProfile.Profile() if args.profile else None
            spent, cpu = drain(services, counts, profiler)
            services.close()
    finally:
        smtp.stop()
        fake.stop()
    n = args.moves
    print(f"{n} invitations: {inbox.count()} e-mails, {len(fake.notes)} notes; "
          f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(f"{'per invitation':16} {'SQL':>6} {'checkouts':>9} {'Redis':>6} {'ms':>7} {'CPU ms':>7}")
    for kind in ("web", "delivery", "e-mail", "note", "between"):
        print(f"{kind:16} {counts.sql[kind] / n:6.1f} {counts.checks[kind] / n:9.1f} "
              f"{counts.redis[kind] / n:6.1f} {spent[kind] * 1000 / n:7.2f} "
              f"{cpu[kind] * 1000 / n:7.2f}")
    jobs = [k for k in counts.sql if k != "web"]
    print(f"{'jobs, total':16} {sum(counts.sql[k] for k in jobs) / n:6.1f} "
          f"{sum(counts.checks[k] for k in jobs) / n:9.1f} "
          f"{sum(counts.redis[k] for k in jobs) / n:6.1f} {sum(spent.values()) * 1000 / n:7.2f} "
          f"{sum(cpu.values()) * 1000 / n:7.2f}")
    if args.profile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
