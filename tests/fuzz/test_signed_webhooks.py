"""Every registered adapter's documented events, mutated and signed with its own secret: never a
5xx, and every delivery accepted is then processed to an end (processed, ignored, or failed with
its reason), never left retrying. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import text

from adapters import ADAPTERS
from adapters.contract import Connection
from connector import crypto
from connector.models import (
    DeliveryStatus,
    Installation,
    Organization,
    StageRule,
    WebhookDelivery,
    utcnow,
)
from jobs.deliveries import MAX_ATTEMPTS, process_delivery
from tests.fuzz.mutations import mutated, serialize

FIXTURES = Path(__file__).parent.parent / "adapters"
EXAMPLES = 150  # per adapter and database
# What one delivery can write, children first, emptied between examples.
TABLES = ("emails", "pushes", "interview_sessions", "application_stages", "webhook_deliveries")
DONE = {DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED, DeliveryStatus.FAILED}


def documents(key: str) -> list[dict]:
    """The adapter's documented events: tests/adapters/<key>/fixtures/*.json (not the
    *.event.json beside each, which state what the delivery reads as)."""
    files = sorted(path for path in (FIXTURES / key / "fixtures").glob("*.json")
                   if not path.name.endswith(".event.json"))
    assert files, f"{key} has no fixtures"
    return [json.loads(path.read_bytes()) for path in files]


def trigger_stages(manifest, secret: str, key: str) -> list[str]:
    """The stage of every fixture that has one, so that documented moves invite."""
    adapter = manifest.build(Connection(webhook_secret=secret, credentials={}))
    stages = set()
    for data in documents(key):
        body = json.dumps(data).encode()
        _, event = adapter.read(body, manifest.adapter.sign(body, secret))
        if event is not None and event.stage_name:
            stages.add(event.stage_name)
    return sorted(stages)


def install(services, manifest) -> dict:
    """An installation of the adapter, made directly: no ATS is called to check credentials."""
    secret = manifest.new_webhook_secret()
    stages = trigger_stages(manifest, secret, manifest.key)
    keyring = services.keyring
    with services.db.session() as session:
        installation = Installation(
            public_id=crypto.new_public_id("inst"), organization=Organization(name="Fuzz"),
            ats=manifest.key, name="Fuzz", credentials_encrypted=keyring.encrypt_json({}),
            webhook_secret_encrypted=keyring.encrypt(secret),
            stage_rules=[StageRule(stage=stage) for stage in stages])
        session.add(installation)
        session.flush()
        return {"secret": secret, "path": f"/webhooks/{manifest.key}/{installation.public_id}"}


@pytest.fixture
def recorded(services, monkeypatch):
    """Jobs are recorded, not run: the test runs the delivery job itself; nothing calls an ATS."""
    jobs = []
    monkeypatch.setattr(services.queue, "enqueue", lambda path, *args, **kw: jobs.append(path))
    monkeypatch.setattr(services.queue, "enqueue_in", lambda delay, path, *args, **kw: None)
    return jobs


def reset(services) -> None:
    with services.db.engine.begin() as connection:
        for table in TABLES:
            connection.execute(text(f"DELETE FROM {table}"))


def run_to_the_end(services, delivery_id: int) -> WebhookDelivery:
    """Run the delivery job as workers would, past each backoff, until the row is done."""
    for _ in range(MAX_ATTEMPTS + 1):
        with services.db.session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery.status in DONE:
                return delivery
            delivery.lease_until = utcnow() - timedelta(seconds=1)  # the backoff has passed
        process_delivery(delivery_id)
    with services.db.session() as session:
        return session.get(WebhookDelivery, delivery_id)


def delivery_count(services) -> int:
    with services.db.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM webhook_deliveries")).scalar_one()


@pytest.mark.parametrize("manifest", ADAPTERS, ids=lambda manifest: manifest.key)
def test_signed_mutations_never_500_and_every_accepted_delivery_ends(
        manifest, services, client, recorded):
    installation = install(services, manifest)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example])
    @given(data=mutated(documents(manifest.key)), ascii_only=st.booleans())
    def check(data, ascii_only):
        reset(services)
        body = serialize(data, ascii_only)
        headers = manifest.adapter.sign(body, installation["secret"])
        response = client.post(installation["path"], data=body, headers=headers)
        assert response.status_code < 500, response.get_data(as_text=True)[:500]
        if response.status_code >= 300:
            assert response.get_json()["error"]
            assert delivery_count(services) == 0
            return
        delivery = run_to_the_end(services, response.get_json()["delivery"])
        assert delivery.status in DONE, (delivery.status, delivery.outcome)
        assert delivery.attempts <= MAX_ATTEMPTS
        if delivery.status is DeliveryStatus.FAILED:
            assert delivery.outcome.startswith("failed: ")

    check()
