"""Any exception in a job counts as an attempt: retried with backoff, stopped at the cap with a
reason that carries no candidate data, never retried forever."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict
from datetime import timedelta

import pytest

from adapters.events import Candidate, Event, EventKind, Outcome
from connector.models import (
    DeliveryStatus,
    Email,
    Installation,
    InstallationStatus,
    Interview,
    OutboxStatus,
    Push,
    WebhookDelivery,
    utcnow,
)
from connector.services import install
from connector.wiring import build_services
from jobs import deliveries, emails, pushes
from jobs.deliveries import process_delivery
from jobs.emails import send_email
from jobs.pushes import deliver_push
from tests.conftest import edit_fixture

ADA = Candidate("265772", "Ada", "Okafor", "ada.okafor@example.com")
STAGE_CHANGE = Event(EventKind.STAGE_CHANGED, "candidate_stage_change", "265277", ADA,
                     stage_id="71416", stage_name="Assessment", job_title="Designer")


def get(services, model, row_id: int):
    with services.db.session() as session:
        return session.get(model, row_id)


def make_due(services, model, row_id: int) -> None:
    """Skip the backoff, as the clock would."""
    with services.db.session() as session:
        row = session.get(model, row_id)
        if hasattr(row, "next_attempt_at"):
            row.next_attempt_at = utcnow()
        else:
            row.lease_until = utcnow() - timedelta(seconds=1)


# --- pushes ----------------------------------------------------------------------------------

def add_push(services, installation, candidate_id: str = "265772", **fields) -> int:
    outcome = Outcome("invited", "265277", candidate_id, "Invited. [test]", "[test]")
    with services.db.session() as session:
        push = Push(installation_id=installation["id"], kind="invited", dedupe_key="test",
                    payload=asdict(outcome), **fields)
        session.add(push)
        session.flush()
        return push.id


def test_a_push_raising_valueerror_ends_failed_after_the_cap_with_the_installation_marked(
        services, installation, greenhouse):
    # A candidate id of "abc" stored before the edge refused it: int() raises in the client.
    push_id = add_push(services, installation, candidate_id="abc")
    for attempt in range(1, pushes.MAX_ATTEMPTS):
        deliver_push(push_id)
        push = get(services, Push, push_id)
        assert (push.status, push.attempts) == (OutboxStatus.PENDING, attempt)
        assert push.next_attempt_at > utcnow()  # backs off
        assert get(services, Installation, installation["id"]).status is InstallationStatus.ACTIVE
        make_due(services, Push, push_id)
    deliver_push(push_id)
    push = get(services, Push, push_id)
    assert (push.status, push.attempts) == (OutboxStatus.FAILED, pushes.MAX_ATTEMPTS)
    assert push.last_error == "ValueError: invalid literal for int() with base 10: '…'"
    inst = get(services, Installation, installation["id"])
    assert inst.status is InstallationStatus.NEEDS_ATTENTION
    assert inst.attention_reason == push.last_error
    deliver_push(push_id)  # stopped: another run changes nothing
    assert get(services, Push, push_id).attempts == pushes.MAX_ATTEMPTS


def test_a_push_whose_credentials_cannot_be_read_counts_its_attempts(services, installation):
    with services.db.session() as session:
        session.get(Installation, installation["id"]).credentials_encrypted = "not-a-token"
    push_id = add_push(services, installation)
    deliver_push(push_id)
    push = get(services, Push, push_id)
    assert (push.status, push.attempts, push.last_error) == (
        OutboxStatus.PENDING, 1, "InvalidToken")


def test_a_push_whose_workers_were_killed_stops_at_the_cap(services, installation, greenhouse):
    push_id = add_push(services, installation, status=OutboxStatus.SENDING,
                       attempts=pushes.MAX_ATTEMPTS, lease_until=utcnow() - timedelta(1))
    deliver_push(push_id)
    push = get(services, Push, push_id)
    assert (push.status, push.last_error) == (
        OutboxStatus.FAILED, "Abandoned: 10 attempts ended without an outcome")
    assert greenhouse.notes == []
    inst = get(services, Installation, installation["id"])
    assert inst.status is InstallationStatus.NEEDS_ATTENTION


# --- deliveries ------------------------------------------------------------------------------

def greenhouse_body(event: Event) -> str:
    """The webhook Greenhouse sends for a stage change: the job reads the stored body again."""
    def change(data):
        application = data["payload"]["application"]
        candidate = application["candidate"]
        candidate["first_name"], candidate["last_name"] = (event.candidate.first_name,
                                                           event.candidate.last_name)
        candidate["email_addresses"] = [{"value": event.candidate.email, "type": "personal"}]
        application["jobs"][0]["name"] = event.job_title
    return edit_fixture("greenhouse", "candidate_stage_change", change).decode()


def add_delivery(services, installation, event: Event = STAGE_CHANGE, **fields) -> int:
    with services.db.session() as session:
        delivery = WebhookDelivery(installation_id=installation["id"], delivery_key="evt-1",
                                   action=event.action, event=event.to_dict(),
                                   body=greenhouse_body(event), **fields)
        session.add(delivery)
        session.flush()
        return delivery.id


def test_a_delivery_raising_anything_is_retried_with_backoff_then_failed_with_its_reason(
        services, installation, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("no stage named 'Ada Okafor <ada.okafor@example.com>'")
    monkeypatch.setattr("connector.interviews.handle_stage_change", broken)
    delivery_id = add_delivery(services, installation)
    for attempt in range(1, deliveries.MAX_ATTEMPTS):
        process_delivery(delivery_id)
        delivery = get(services, WebhookDelivery, delivery_id)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.RECEIVED, attempt)
        assert delivery.outcome == "retrying: ValueError: no stage named '…'"
        process_delivery(delivery_id)  # due only after its backoff: nothing happens
        assert get(services, WebhookDelivery, delivery_id).attempts == attempt
        make_due(services, WebhookDelivery, delivery_id)
    process_delivery(delivery_id)
    delivery = get(services, WebhookDelivery, delivery_id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED,
                                                    deliveries.MAX_ATTEMPTS)
    assert delivery.outcome == "failed: ValueError: no stage named '…'"


def test_a_delivery_whose_workers_were_killed_stops_at_the_cap(services, installation):
    delivery_id = add_delivery(services, installation, status=DeliveryStatus.PROCESSING,
                               attempts=deliveries.MAX_ATTEMPTS,
                               lease_until=utcnow() - timedelta(1))
    process_delivery(delivery_id)
    delivery = get(services, WebhookDelivery, delivery_id)
    assert (delivery.status, delivery.outcome) == (
        DeliveryStatus.FAILED, "failed: Abandoned: 10 attempts ended without an outcome")


def test_a_delivery_stored_with_nul_in_the_name_invites_the_cleaned_name(services,
                                                                         installation):
    candidate = dataclasses.replace(ADA, first_name="A\u0000da")
    event = dataclasses.replace(STAGE_CHANGE, candidate=candidate, job_title="Design\u0000er")
    delivery_id = add_delivery(services, installation, event)
    process_delivery(delivery_id)
    delivery = get(services, WebhookDelivery, delivery_id)
    assert (delivery.status, delivery.outcome) == (DeliveryStatus.PROCESSED, "invited")
    with services.db.session() as session:
        (interview,) = session.query(Interview).all()
        assert (interview.candidate_name, interview.job_title) == ("Ada Okafor", "Designer")


# --- e-mails ---------------------------------------------------------------------------------

@pytest.fixture
def smtp_services(settings):
    smtp = dataclasses.replace(settings, smtp_url="smtp://127.0.0.1:9")
    built = install(build_services(smtp, synchronous_jobs=True))
    yield built
    built.close()


def test_an_email_raising_anything_is_retried_then_failed_with_its_reason(smtp_services,
                                                                        monkeypatch):
    def broken(url, message):
        raise UnicodeEncodeError("ascii", "Zoë", 2, 3, "ordinal not in range(128)")
    monkeypatch.setattr("connector.outbox.mail.send", broken)
    with smtp_services.db.session() as session:
        email = Email(organization_id=_organization(session), kind="invitation",
                      dedupe_key="test", to_address="zoe@example.com", subject="Hello",
                      text_body="Hi", html_body="<p>Hi</p>")
        session.add(email)
        session.flush()
        email_id = email.id
    for attempt in range(1, emails.MAX_ATTEMPTS):
        send_email(email_id)
        email = get(smtp_services, Email, email_id)
        assert (email.status, email.attempts) == (OutboxStatus.PENDING, attempt)
        assert email.next_attempt_at > utcnow()
        make_due(smtp_services, Email, email_id)
    send_email(email_id)
    email = get(smtp_services, Email, email_id)
    assert (email.status, email.attempts) == (OutboxStatus.FAILED, emails.MAX_ATTEMPTS)
    assert email.last_error == "UnicodeEncodeError: '…' codec can't encode character '…'" \
        " in position 2: ordinal not in range(128)"


def _organization(session) -> int:
    from connector.models import Organization

    org = Organization(name="Acme")
    session.add(org)
    session.flush()
    return org.id
