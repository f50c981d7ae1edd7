"""End to end on the production parts: PostgreSQL, Redis, a real rq worker process, real SMTP.

A signed Greenhouse webhook goes in; one e-mail with a working link comes out of the SMTP
server; the note reaches (fake) Greenhouse; a duplicate delivery and a redelivery change nothing.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from config import Settings
from connector import notes as notes_
from connector.models import DeliveryStatus, Interview, OutboxStatus, Push, WebhookDelivery
from connector.services import install
from connector.wiring import build_services
from jobs.queue import RedisQueue
from tests.conftest import fixture_body, make_installation, signed_post
from tests.fakes.greenhouse import recorded

WORKER = Path(__file__).with_name("greenhouse_worker.py")
BODY = fixture_body("greenhouse", "candidate_stage_change")


@pytest.fixture
def stack(pg_database_url, redis_url, smtp_server, tmp_path):
    """The web app in this process; jobs in a separate `connector worker` process."""
    settings = Settings(env="test", database_url=pg_database_url, redis_url=redis_url,
                        smtp_url=smtp_server.url, secret_keys=(Fernet.generate_key().decode(),),
                        public_base_url="https://connector.test", data_dir=tmp_path)
    services = install(build_services(settings))
    assert isinstance(services.queue, RedisQueue)
    record = tmp_path / "greenhouse.jsonl"
    env = dict(os.environ, DATABASE_URL=pg_database_url, REDIS_URL=redis_url,
               SMTP_URL=smtp_server.url, SECRET_KEYS=settings.secret_keys[0],
               PUBLIC_BASE_URL=settings.public_base_url, CONNECTOR_DATA_DIR=str(tmp_path),
               CONNECTOR_ENV="test", GREENHOUSE_RECORD=str(record))
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen([sys.executable, str(WORKER)], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    from connector.app import create_app

    yield services, create_app(services=services).test_client(), record, smtp_server
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
    log.close()
    services.close()


def wait_for(condition, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def deliveries_done(services, count):
    with services.db.session() as session:
        rows = session.scalars(select(WebhookDelivery)).all()
        return len(rows) == count and all(r.status is not DeliveryStatus.RECEIVED
                                          and r.status is not DeliveryStatus.PROCESSING
                                          for r in rows)


def push_delivered(services):
    with services.db.session() as session:
        return [p.status for p in session.scalars(select(Push))] == [OutboxStatus.DELIVERED]


def test_signed_webhook_to_email_and_note(stack):
    services, client, record, smtp = stack
    installation = make_installation(services, ["Assessment"])

    first = signed_post(client, installation, BODY, "evt-1")
    assert first.status_code == 200 and first.get_json()["status"] == "accepted"
    wait_for(lambda: smtp.inbox.messages, what="the invitation e-mail")
    wait_for(lambda: push_delivered(services), what="the note")

    ((recipients, message),) = smtp.inbox.messages
    assert recipients == ["giuseppe.hurley@example.com"]
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"https://connector\.test(/interview/[A-Za-z0-9_-]{43})", text)[1]
    page = client.get(link)
    assert page.status_code == 200 and "Welcome, Giuseppe Hurley" in page.get_data(as_text=True)

    notes = [c for c in recorded(record) if c["kind"] == "create_note"]
    assert len(notes) == 1 and notes[0]["json"]["candidate_id"] == 265772
    with services.db.session() as session:
        (interview,) = session.scalars(select(Interview)).all()
    assert notes_.reference(interview.public_id, "invited") in notes[0]["json"]["body"]

    # The same delivery again, then the same event under a new delivery id.
    assert signed_post(client, installation, BODY, "evt-1").get_json() == {"status": "duplicate"}
    assert signed_post(client, installation, BODY, "evt-2").get_json()["status"] == "accepted"
    wait_for(lambda: deliveries_done(services, 2), what="the redelivery to be processed")
    time.sleep(1.0)  # room for any wrongly enqueued e-mail or note to show up

    assert len(smtp.inbox.messages) == 1
    assert len([c for c in recorded(record) if c["kind"] == "create_note"]) == 1
    with services.db.session() as session:
        assert len(session.scalars(select(Interview)).all()) == 1
        outcomes = [d.outcome for d in session.scalars(select(WebhookDelivery)
                                                       .order_by(WebhookDelivery.id))]
    assert outcomes == ["invited", "duplicate_session"]
