"""Two real rq worker processes push 100 notes to a rate-limited Greenhouse on loopback.

The fake allows 50 requests per 30-second window, the adapter's default for Harvest v3, and
answers 429 beyond. Both workers draw from one budget on Redis, so every note arrives exactly
once and almost none is refused. 100 notes at 50 per 30 s fill one window and wait for the
next: that wait, shared by both workers, is the point.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from redis import Redis
from rq import Worker
from sqlalchemy import select

from adapters.greenhouse import MANIFEST
from config import Settings
from connector.models import Push
from connector.services import install
from connector.wiring import build_services
from tests.fakes.greenhouse_server import RateLimitedGreenhouse, add_pushes, delivered

ROOT = Path(__file__).resolve().parents[2]
RESULTS = 100
LIMIT, WINDOW = MANIFEST.rate_limit  # the adapter's default: 50 per 30 s
MAX_429 = 5
WORKER = "from connector.cli import main; main(['worker'])"


@pytest.fixture
def greenhouse():
    server = RateLimitedGreenhouse(limit=LIMIT, per=WINDOW).start()
    yield server
    server.stop()


@pytest.fixture
def stack(pg_database_url, redis_url, tmp_path):
    """This process enqueues; two `connector worker` processes deliver."""
    settings = Settings(env="test", database_url=pg_database_url, redis_url=redis_url,
                        secret_keys=(Fernet.generate_key().decode(),),
                        public_base_url="https://connector.test", data_dir=tmp_path,
                        allow_private_ats_hosts=True)
    services = install(build_services(settings))
    env = dict(os.environ, DATABASE_URL=pg_database_url, REDIS_URL=redis_url,
               SECRET_KEYS=settings.secret_keys[0], PUBLIC_BASE_URL=settings.public_base_url,
               CONNECTOR_DATA_DIR=str(tmp_path), CONNECTOR_ENV="test", SMTP_URL="",
               LOG_LEVEL="WARNING", ALLOW_PRIVATE_ATS_HOSTS="on")  # the fake is on loopback
    logs = [(tmp_path / f"worker-{n}.log").open("w") for n in (1, 2)]
    workers = [subprocess.Popen([sys.executable, "-c", WORKER], env=env, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT) for log in logs]
    yield services
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    for log in logs:
        log.close()
    services.close()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_workers_share_the_rate_limit(stack, greenhouse, redis_url):
    services = stack
    connection = Redis.from_url(redis_url)
    wait_for(lambda: len(Worker.all(connection=connection)) == 2, 30, "both workers")
    push_ids = add_pushes(services, greenhouse, RESULTS)
    started = time.monotonic()
    for push_id in push_ids:
        services.queue.enqueue("jobs.pushes.deliver_push", push_id)
    # The limiter paces a backlog at the limit's rate, so the floor is RESULTS / (LIMIT / WINDOW)
    # (60 s), as bench/push_rate.py measures it; twice that is the bound.
    floor = RESULTS / (LIMIT / WINDOW)
    wait_for(lambda: delivered(services) == RESULTS, 2 * floor, "every note")
    elapsed = time.monotonic() - started

    markers = Counter(note["body"].rsplit("[", 1)[1] for note in greenhouse.notes)
    print(f"\n{RESULTS} notes in {elapsed:.1f} s (floor {floor:.0f} s at {LIMIT} per {WINDOW} s); "
          f"429s: {greenhouse.throttled}; tokens fetched: {greenhouse.tokens_issued}")
    assert len(greenhouse.notes) == RESULTS
    assert markers == Counter({f"load {n}]": 1 for n in range(RESULTS)})
    assert greenhouse.throttled <= MAX_429
    assert greenhouse.tokens_issued <= 2  # shared through Redis, not one per work horse
    with services.db.session() as session:
        attempts = session.scalars(select(Push.attempts)).all()
    assert sum(attempts) == RESULTS + greenhouse.throttled  # waiting for a slot is no attempt
