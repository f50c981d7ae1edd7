"""The whole connector as production runs it, for fault tests: what they send and what they count.

gunicorn and `connector worker` processes reach PostgreSQL through a proxy the test can pause,
and a redis-server the test owns; the ATS is a fake on loopback, e-mail a real SMTP server.
An event is a Greenhouse stage change for a candidate of its own, numbered n.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from sqlalchemy import func, select

from adapters.greenhouse.adapter import GreenhouseAdapter
from connector.models import (
    DeliveryStatus,
    Email,
    InterviewSession,
    OutboxStatus,
    Push,
    WebhookDelivery,
)
from tests.conftest import fixture_body

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
            sessions = Counter(session.scalars(select(InterviewSession.ats_application_id)))
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


def _count(session, model, condition) -> int:
    return session.scalar(select(func.count()).select_from(model).where(condition))
