"""The delivery job sends the invitation itself, once, and leaves it to the e-mail job on failure."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update

from connector.models import DeliveryStatus, Email, OutboxStatus, WebhookDelivery, utcnow
from connector.services import install
from connector.wiring import build_services
from jobs import claims, emails
from jobs.deliveries import process_delivery
from jobs.emails import send_email
from jobs.sweeper import sweep
from tests.conftest import fixture_body, free_port, make_installation, signed_post

STAGE_CHANGE = fixture_body("greenhouse", "candidate_stage_change")


def on_redis(settings, redis_url, smtp_url: str):
    """Services whose jobs wait in Redis (nothing runs them), mailing `smtp_url`."""
    return install(build_services(dataclasses.replace(settings, redis_url=redis_url,
                                                      smtp_url=smtp_url)))


@pytest.fixture
def mailing(settings, redis_url, smtp_server):
    built = on_redis(settings, redis_url, smtp_server.url)
    yield built
    built.close()


def received(services) -> int:
    """Post the documented move; the id of the delivery it stored."""
    from connector.app import create_app

    installation = make_installation(services, ["Assessment"])
    assert signed_post(create_app(services=services).test_client(), installation,
                       STAGE_CHANGE).status_code == 200
    with services.db.session() as session:
        return session.scalar(select(WebhookDelivery.id))


def queued(services) -> list[str]:
    return services.queue.queue.get_job_ids()


def the_email(services) -> Email:
    with services.db.session() as session:
        return session.scalars(select(Email)).one()


def test_the_delivery_job_sends_the_invitation_and_queues_only_the_note(mailing, smtp_server,
                                                                       greenhouse):
    process_delivery(received(mailing))
    ((recipients, _message),) = smtp_server.inbox.messages
    assert recipients == ["giuseppe.hurley@example.com"]
    email = the_email(mailing)
    assert (email.status, email.attempts) == (OutboxStatus.DELIVERED, 1)
    assert [job for job in queued(mailing) if not job.startswith("delivery-")] == ["push-1"]


def test_an_invitation_that_cannot_be_sent_is_left_to_its_own_job(settings, redis_url,
                                                                  greenhouse):
    services = on_redis(settings, redis_url, f"smtp://127.0.0.1:{free_port()}")  # nobody there
    try:
        delivery_id = received(services)
        process_delivery(delivery_id)
        email = the_email(services)
        assert (email.status, email.attempts) == (OutboxStatus.PENDING, 1)
        assert "SMTP unavailable" in email.last_error
        timed = ScheduledJobRegistry(queue=services.queue.queue).get_job_ids()
        assert f"email-{email.id}" in timed
        with services.db.session() as session:
            assert session.get(WebhookDelivery, delivery_id).status is DeliveryStatus.PROCESSED
    finally:
        services.close()


def test_a_worker_dying_before_the_send_leaves_the_invitation_to_the_sweeper(
        mailing, smtp_server, greenhouse, monkeypatch):
    monkeypatch.setattr(emails, "send_prepared", lambda services, prepared: None)  # died here
    process_delivery(received(mailing))
    email = the_email(mailing)
    assert email.status is OutboxStatus.SENDING and smtp_server.inbox.messages == []
    assert f"email-{email.id}" not in queued(mailing)
    with mailing.db.session() as session:  # the dead worker's lease runs out
        session.execute(update(Email).values(lease_until=utcnow() - timedelta(seconds=1)))
    sweep()
    assert f"email-{email.id}" in queued(mailing)
    send_email(email.id)
    send_email(email.id)  # run twice: still sent once
    assert len(smtp_server.inbox.messages) == 1
    assert the_email(mailing).status is OutboxStatus.DELIVERED


def test_a_delivery_backing_off_is_not_claimed_before_its_time(services):
    installation = make_installation(services, ["Assessment"])
    with services.db.session() as session:
        delivery = WebhookDelivery(installation_id=installation["id"], delivery_key="d1",
                                   action="a", body="{}",
                                   lease_until=utcnow() + timedelta(minutes=1))
        session.add(delivery)
        session.flush()
        args = (session, WebhookDelivery, delivery.id, DeliveryStatus.RECEIVED,
                DeliveryStatus.PROCESSING)
        assert claims.claim(*args) is None
        delivery.lease_until = utcnow() - timedelta(seconds=1)
        session.flush()
        assert claims.claim(*args) == 1


def test_a_jobs_claim_is_committed_as_it_returns_and_holds_the_row(pg_database_url, settings):
    services = install(build_services(dataclasses.replace(settings,
                                                          database_url=pg_database_url)))
    try:
        installation = make_installation(services, ["Assessment"])
        with services.db.session() as session:
            delivery = WebhookDelivery(installation_id=installation["id"], delivery_key="d1",
                                       action="a", body="{}")
            session.add(delivery)
            session.flush()
            row_id = delivery.id
        args = (services.db, WebhookDelivery, row_id, DeliveryStatus.RECEIVED,
                DeliveryStatus.PROCESSING)
        checked_out = services.db.engine.pool.checkedout()
        assert claims.claim_now(*args) == 1
        assert services.db.engine.pool.checkedout() == checked_out  # not a pooled session
        with services.db.session() as session:  # another connection sees it at once
            delivery = session.get(WebhookDelivery, row_id)
            assert (delivery.status, delivery.attempts) == (DeliveryStatus.PROCESSING, 1)
            assert delivery.lease_until > utcnow()
        assert claims.claim_now(*args) is None  # held: a second worker gets nothing
    finally:
        services.close()
