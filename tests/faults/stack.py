"""The whole connector as production runs it, for fault tests: what they send and what they count.

gunicorn and `connector worker` processes reach PostgreSQL through a proxy the test can pause,
and a redis-server the test owns; the ATS is a fake on loopback, e-mail a real SMTP server.
An event is a Greenhouse stage change for a candidate of its own, numbered n.
"""

from __future__ import annotations

import itertools
import json
import os
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from adapters.greenhouse.adapter import GreenhouseAdapter
from config import Settings
from connector.installations import create_installation
from connector.models import (
    DeliveryStatus,
    Email,
    Interview,
    OutboxStatus,
    Push,
    WebhookDelivery,
)
from connector.services import install
from connector.wiring import build_services
from tests.conftest import _Inbox, fixture_body, free_port
from tests.faults.ats import ScriptedGreenhouse
from tests.faults.processes import RedisServer, Workers, start_gunicorn, stop
from tests.faults.proxy import PausableProxy

APPLICATION, CANDIDATE = 700000, 600000
_TEMPLATE = json.loads(fixture_body("greenhouse", "candidate_stage_change"))


def event_body(n: int) -> bytes:
    """The documented stage change, for application APPLICATION + n of candidate CANDIDATE + n."""
    data = json.loads(json.dumps(_TEMPLATE))
    application = data["payload"]["application"]
    application["id"] = APPLICATION + n
    application["candidate"]["id"] = CANDIDATE + n
    application["candidate"]["email_addresses"] = [{"value": email(n), "type": "personal"}]
    return json.dumps(data).encode()


def email(n: int) -> str:
    return f"candidate-{n}@example.com"


@dataclass
class Stack:
    services: object  # this process's view: the database direct, jobs to the test's Redis
    redis: object
    proxy: object
    ats: object
    smtp: object
    workers: object
    web_url: str
    installation: dict
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def new_events(self, count: int) -> list[int]:
        return [next(self._numbers) for _ in range(count)]

    def post(self, n: int, timeout: float = 60) -> requests.Response:
        """Deliver event n as Greenhouse would, signed, under delivery id evt-<n>."""
        body = event_body(n)
        headers = GreenhouseAdapter.sign(body, self.installation["secret"])
        headers["Greenhouse-Event-ID"] = f"evt-{n}"
        return requests.post(self.web_url + self.installation["path"], data=body,
                             headers=headers, timeout=timeout)

    def post_all(self, numbers: list[int]) -> list[int]:
        """Deliver many events four at a time, as an ATS with a backlog does; their statuses."""
        with ThreadPoolExecutor(4) as pool:
            return [answer.status_code for answer in pool.map(self.post, numbers)]

    def counts(self, numbers: list[int]) -> dict[int, tuple[int, int, int]]:
        """Per event: (interview sessions, invitation e-mails, ATS notes)."""
        with self.services.db.session() as session:
            sessions = Counter(session.scalars(select(Interview.ats_application_id)))
        mails = Counter(to for recipients, _ in list(self.smtp.inbox.messages)
                        for to in recipients)
        with self.ats._lock:
            notes = Counter(note["candidate_id"] for note in self.ats.notes)
        return {n: (sessions[str(APPLICATION + n)], mails[email(n)], notes[CANDIDATE + n])
                for n in numbers}

    def done(self, numbers: list[int]) -> bool:
        """Every event has its session, e-mail and note, and no row is left to do."""
        return (all(all(c) for c in self.counts(numbers).values())
                and self.unfinished_rows() == 0)

    def unfinished_rows(self) -> int:
        with self.services.db.session() as session:
            return (_count(session, WebhookDelivery, WebhookDelivery.status.in_(
                        (DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSING)))
                    + _count(session, Push, Push.status.in_(_OPEN))
                    + _count(session, Email, Email.status.in_(_OPEN)))

    def assert_once(self, numbers: list[int]) -> None:
        counts = self.counts(numbers)
        wrong = {n: c for n, c in counts.items() if c != (1, 1, 1)}
        assert not wrong, f"(sessions, e-mails, notes) not exactly one each: {wrong}"


_OPEN = (OutboxStatus.PENDING, OutboxStatus.SENDING)
POOL = 3  # workers: one per kind of kill, and one always left to recover


@contextmanager
def running(database_url: str, directory: Path, pool: int = POOL) -> Iterator[Stack]:
    """gunicorn and `pool` workers on a migrated database, behind a proxy; Redis, SMTP, an ATS."""
    with ExitStack() as cleanup:  # whatever started is stopped, even if a later part fails
        redis = RedisServer(directory).start()
        cleanup.callback(redis.stop)
        proxy = PausableProxy(5432).start()
        cleanup.callback(proxy.close)
        ats = ScriptedGreenhouse().start()
        cleanup.callback(ats.stop)
        cleanup.callback(ats.release)  # before it stops: a held answer ends first
        smtp = _smtp()
        cleanup.callback(smtp.stop)
        secret = Fernet.generate_key().decode()
        services = install(build_services(Settings(
            env="test", database_url=database_url, redis_url=redis.url, smtp_url=smtp.url,
            secret_keys=(secret,), data_dir=directory, public_base_url="https://connector.test",
            allow_private_ats_hosts=True)))
        cleanup.callback(services.close)
        env = dict(os.environ, DATABASE_URL=proxy.url_for(database_url), REDIS_URL=redis.url,
                   SMTP_URL=smtp.url, SECRET_KEYS=secret, CONNECTOR_DATA_DIR=str(directory),
                   PUBLIC_BASE_URL="https://connector.test", CONNECTOR_ENV="test",
                   LOG_LEVEL="INFO", ALLOW_PRIVATE_ATS_HOSTS="on")
        workers = Workers(env, directory)
        cleanup.callback(workers.stop)
        workers.start(pool)
        web, web_url = start_gunicorn(env, directory / "web.log")
        cleanup.callback(stop, web)
        yield Stack(services, redis, proxy, ats, smtp, workers, web_url,
                    _installation(services, ats))


def _smtp() -> Controller:
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.inbox, controller.url = inbox, f"smtp://127.0.0.1:{controller.port}"
    return controller


def _installation(services, ats: ScriptedGreenhouse) -> dict:
    with services.db.session() as session:
        installation, secret = create_installation(
            session, services.keyring, ats="greenhouse", organization="Faults",
            name="Faults Greenhouse", trigger_stages=["Assessment"], template_id=None,
            api_base_url=ats.url, credentials=ats.credentials, strict_hosts=False)
        return {"id": installation.id, "public_id": installation.public_id, "secret": secret,
                "path": f"/webhooks/greenhouse/{installation.public_id}"}


def _count(session, model, condition) -> int:
    return session.scalar(select(func.count()).select_from(model).where(condition))
