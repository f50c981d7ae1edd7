"""/metrics: figures computed from the database at scrape time, for loopback or a token only."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from connector.models import (
    DeliveryStatus,
    Email,
    Installation,
    InstallationStatus,
    OutboxStatus,
    Push,
    InterviewState,
    WebhookDelivery,
    utcnow,
)
from tests.conftest import make_installation
from tests.test_accounts import add_interview
from tests.test_health import app_on  # noqa: F401  (fixture)

TOKEN = "a-metrics-token-of-some-length"
LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def scrape(client, **kwargs) -> dict:
    """{(sample name, sorted labels): value} of a scrape from loopback."""
    response = client.get("/metrics", environ_base=LOOPBACK, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.content_type.startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def add_delivery(services, installation, n, status, received_ago=0.0, took=None):
    received = utcnow() - timedelta(seconds=received_ago)
    with services.db.session() as db:
        db.add(WebhookDelivery(
            installation_id=installation["id"], delivery_key=f"evt-{n}", action="stage_change",
            event={}, body="{}", status=status, received_at=received,
            processed_at=received + timedelta(seconds=took) if took is not None else None))


def add_push(services, installation, n, status, kind="invited", created_ago=0.0):
    with services.db.session() as db:
        db.add(Push(installation_id=installation["id"], kind=kind, dedupe_key=f"p{n}",
                    payload={}, status=status,
                    created_at=utcnow() - timedelta(seconds=created_ago)))


def add_email(services, organization_id, n, status):
    with services.db.session() as db:
        db.add(Email(organization_id=organization_id, kind="invitation", dedupe_key=f"e{n}",
                     to_address="pat@example.com", subject="s", text_body="t", html_body="h",
                     status=status))


def test_an_empty_database_scrapes_zero_backlog(client):
    samples = scrape(client)
    assert samples["connector_oldest_pending_delivery_age_seconds", ()] == 0
    assert samples["connector_oldest_pending_push_age_seconds", ()] == 0
    assert samples["connector_delivery_processing_seconds_gcount", ()] == 0
    assert samples["connector_delivery_processing_seconds_bucket", (("le", "+Inf"),)] == 0


def test_counts_by_label_from_the_rows(client, services, installation):
    other = make_installation(services, ["Assessment"], organization="Globex", name="Globex GH")
    add_delivery(services, installation, 1, DeliveryStatus.PROCESSED, 50, took=0.2)
    add_delivery(services, installation, 2, DeliveryStatus.PROCESSED, 40, took=3)
    add_delivery(services, other, 3, DeliveryStatus.FAILED)
    add_delivery(services, installation, 4, DeliveryStatus.IGNORED)
    add_push(services, installation, 1, OutboxStatus.DELIVERED)
    add_push(services, installation, 2, OutboxStatus.FAILED, kind="scorecard")
    add_push(services, other, 3, OutboxStatus.DELIVERED)
    with services.db.session() as db:
        org_id = db.get(Installation, installation["id"]).organization_id
        db.get(Installation, other["id"]).status = InstallationStatus.NEEDS_ATTENTION
    add_email(services, org_id, 1, OutboxStatus.HELD)
    add_email(services, org_id, 2, OutboxStatus.HELD)
    add_email(services, org_id, 3, OutboxStatus.DELIVERED)
    add_interview(services)
    add_interview(services, organization="Globex")

    samples = scrape(client)
    gh = ("ats", "greenhouse")
    assert samples["connector_webhook_deliveries", (gh, ("status", "processed"))] == 2
    assert samples["connector_webhook_deliveries", (gh, ("status", "failed"))] == 1
    assert samples["connector_webhook_deliveries", (gh, ("status", "ignored"))] == 1
    assert samples["connector_pushes", (gh, ("kind", "invited"), ("status", "delivered"))] == 2
    assert samples["connector_pushes", (gh, ("kind", "scorecard"), ("status", "failed"))] == 1
    assert samples["connector_emails", (("status", "held"),)] == 2
    assert samples["connector_emails", (("status", "delivered"),)] == 1
    assert samples["connector_interview_sessions", (("state", "invited"),)] == 2
    assert samples["connector_installations", (gh, ("status", "active"))] == 1
    assert samples["connector_installations", (gh, ("status", "needs_attention"))] == 1
    # Labels are words of the system, never a tenant's name.
    assert not any("Acme" in str(key) or "Globex" in str(key) for key in samples)


def test_processing_latency_over_the_last_hour(client, services, installation):
    add_delivery(services, installation, 1, DeliveryStatus.PROCESSED, 60, took=0.2)
    add_delivery(services, installation, 2, DeliveryStatus.IGNORED, 60, took=3)
    add_delivery(services, installation, 3, DeliveryStatus.PROCESSED, 60, took=45)
    add_delivery(services, installation, 4, DeliveryStatus.PROCESSED, 7200, took=1)  # too old
    samples = scrape(client)
    name = "connector_delivery_processing_seconds"

    def bucket(le):
        return samples[f"{name}_bucket", (("le", le),)]

    assert (bucket("0.1"), bucket("0.25"), bucket("2.5"), bucket("5.0"), bucket("30.0"),
            bucket("60.0"), bucket("+Inf")) == (0, 1, 1, 2, 2, 3, 3)
    assert samples[f"{name}_gcount", ()] == 3
    assert samples[f"{name}_gsum", ()] == pytest.approx(48.2, abs=0.01)


def test_the_oldest_pending_delivery_and_push_ages(client, services, installation):
    add_delivery(services, installation, 1, DeliveryStatus.RECEIVED, 300)
    add_delivery(services, installation, 2, DeliveryStatus.PROCESSING, 120)
    add_delivery(services, installation, 3, DeliveryStatus.FAILED, 9000)  # stopped, not waiting
    add_push(services, installation, 1, OutboxStatus.PENDING, created_ago=600)
    add_push(services, installation, 2, OutboxStatus.SENDING, created_ago=30)
    add_push(services, installation, 3, OutboxStatus.DELIVERED, created_ago=5000)
    samples = scrape(client)
    assert 300 <= samples["connector_oldest_pending_delivery_age_seconds", ()] < 330
    assert 600 <= samples["connector_oldest_pending_push_age_seconds", ()] < 630


# --- who may read it -------------------------------------------------------------------------

def test_from_outside_without_a_token_it_is_not_found(client):
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404


def test_a_proxied_request_from_loopback_is_not_loopback(client):
    for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}):
        assert client.get("/metrics", environ_base=LOOPBACK, headers=header).status_code == 404


def test_ipv6_loopback_is_loopback(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_the_token_opens_it_from_anywhere(app_on, settings):
    client = app_on(replace(settings, metrics_token=TOKEN))
    good = client.get("/metrics", environ_base=OUTSIDE,
                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert good.status_code == 200 and b"connector_pushes" in good.data
    for wrong in (f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", TOKEN):
        response = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": wrong})
        assert response.status_code == 404, wrong
    # A wrong token is refused even from loopback: a caller that sends one meant to use it.
    assert client.get("/metrics", environ_base=LOOPBACK,
                      headers={"Authorization": "Bearer nope"}).status_code == 404


def test_without_a_configured_token_a_bearer_opens_nothing(client):
    response = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer "})
    assert response.status_code == 404


def test_the_metrics_token_setting(tmp_path):
    from config import SettingsError, load_settings

    env = {"CONNECTOR_DATA_DIR": str(tmp_path)}
    assert load_settings(env).metrics_token is None
    assert load_settings(dict(env, METRICS_TOKEN=f" {TOKEN} ")).metrics_token == TOKEN
    with pytest.raises(SettingsError) as error:
        load_settings(dict(env, METRICS_TOKEN="short"))
    assert error.value.problems == ["METRICS_TOKEN: at least 16 characters"]
