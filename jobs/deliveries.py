"""Process one stored webhook delivery: the work the webhook view leaves for later."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from adapters.events import Event, EventKind
from connector import interviews, tasks
from connector.installations import adapter_for
from connector.models import (
    Actor, DeliveryStatus, ErasureReason, Installation, WebhookDelivery, utcnow,
)
from connector.privacy.erasure import Person, Who, erase
from connector.services import current
from jobs import failures
from jobs.claims import backoff_seconds, claim
from jobs.lifecycle import enqueue_rows, schedule
from jobs.pushes import pushing

log = logging.getLogger("connector.jobs")

MAX_ATTEMPTS = 10
JOB = tasks.PROCESS_DELIVERY
_OUTCOME_LENGTH = WebhookDelivery.__table__.c.outcome.type.length


def process_delivery(delivery_id: int) -> None:
    """Act on a delivery once: create the session, the e-mail and the note it calls for."""
    services = current()
    with services.db.session() as session:
        if _backing_off(session, delivery_id) or not claim(
                session, WebhookDelivery, delivery_id,
                DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSING):
            return
        attempts = session.get(WebhookDelivery, delivery_id).attempts
    if attempts > MAX_ATTEMPTS:  # every earlier attempt was killed before it could say why
        return _stop(services, delivery_id, failures.reason(failures.Abandoned(attempts)))
    try:
        event = _read(services, delivery_id)
        if event is not None and event.kind is EventKind.CANDIDATE_ERASED:
            return _erase(services, delivery_id, event)
        with services.db.session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            installation = session.get(Installation, delivery.installation_id)
            delivery.event = event.to_dict() if event else None
            result = (_handle(session, services, installation, event) if event
                      else interviews.Handled("not_actionable", [], []))
            delivery.status = (DeliveryStatus.PROCESSED if result.acted
                               else DeliveryStatus.IGNORED)
            delivery.outcome = result.outcome
            delivery.processed_at = utcnow()
            delivery.lease_until = None
            ats = installation.ats
    except Exception as exc:  # whatever it is, it counts, and MAX_ATTEMPTS of them stop it
        _record_failure(services, delivery_id, failures.reason(exc))
        return
    log.info("%s.delivery.processed delivery=%s outcome=%s", ats, delivery_id, result.outcome)
    enqueue_rows(services.queue, result.email_ids, result.push_ids)
    schedule(services.queue, result.timers)


def _read(services, delivery_id: int) -> Event | None:
    """The delivery's raw body read again by today's adapter, completed through its API.

    Reading the stored bytes (not a stored parse) lets a parser fix reach every replay. An
    adapter whose ATS sends ids only fills in the rest here, outside any transaction.
    """
    with services.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        installation = session.get(Installation, delivery.installation_id)
        body, headers = delivery.body.encode("utf-8"), dict(delivery.headers or {})
        adapter = adapter_for(installation, services.keyring, services.settings,
                              pushing(services).tools(installation.public_id, installation.ats))
        _action, event = adapter.read(body, headers)
        # Only an event that will invite someone is worth a call to the ATS.
        wanted = event is not None and event.candidate is None and \
            adapter.manifest.can("enrich") and interviews.invites(installation, event)
    return adapter.enrich(event) if wanted else event


def _handle(session, services, installation: Installation, event: Event) -> interviews.Handled:
    if event.kind is EventKind.STAGE_CHANGED:
        return interviews.handle_stage_change(
            session, services.keyring, services.settings.public_base_url, installation, event)
    if event.kind is EventKind.APPLICATION_CLOSED:
        return interviews.handle_application_closed(session, installation, event)
    return interviews.Handled(f"unhandled_{event.kind}", [], [])


def _erase(services, delivery_id: int, event: Event) -> None:
    """Erase whom the ATS deleted, within the installation, outside any transaction.

    The erasure empties this delivery's own body (it names the person), so the delivery's last
    update comes after it and sets only its status and outcome, never the body again.
    """
    with services.db.session() as session:
        installation = session.get(
            Installation, session.get(WebhookDelivery, delivery_id).installation_id)
        person = Person(
            installation.organization_id, installation_id=installation.id,
            candidate_ids={event.candidate.ats_id} if event.candidate else set(),
            application_ids={i for i in (event.application_id, *event.application_ids) if i})
        who = Who(ErasureReason.ATS_EVENT, Actor.ATS, actor_id=installation.public_id)
        ats = installation.ats
    receipt = None if person.is_empty() else erase(services.db, services.storage, person, who)
    with services.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        delivery.status = DeliveryStatus.PROCESSED if receipt else DeliveryStatus.IGNORED
        delivery.outcome = f"erased: {receipt.public_id}" if receipt else "nothing_to_erase"
        delivery.processed_at, delivery.lease_until = utcnow(), None
    log.info("%s.delivery.processed delivery=%s outcome=erased receipt=%s", ats, delivery_id,
             receipt.public_id if receipt else None)


def _backing_off(session, delivery_id: int) -> bool:
    """True while a failed delivery waits out its backoff: until then its lease is not over."""
    lease = session.scalar(select(WebhookDelivery.lease_until).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.status == DeliveryStatus.RECEIVED))
    return lease is not None and lease > utcnow()


def _record_failure(services, delivery_id: int, reason: str) -> None:
    """Count the failed attempt: retry after a backoff, or at MAX_ATTEMPTS stop, saying why."""
    delay = None
    with services.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery.attempts >= MAX_ATTEMPTS:
            _fail(delivery, reason)
        else:
            delay = backoff_seconds(delivery.attempts)
            delivery.status = DeliveryStatus.RECEIVED
            delivery.outcome = f"retrying: {reason}"[:_OUTCOME_LENGTH]
            delivery.lease_until = utcnow() + timedelta(seconds=delay)
    if delay is None:
        log.warning("delivery.failed delivery=%s reason=%s", delivery_id, reason)
        return
    log.warning("delivery.retry delivery=%s in=%.0fs reason=%s", delivery_id, delay, reason)
    services.queue.enqueue_in(delay, JOB, delivery_id)


def _stop(services, delivery_id: int, reason: str) -> None:
    with services.db.session() as session:
        _fail(session.get(WebhookDelivery, delivery_id), reason)
    log.warning("delivery.failed delivery=%s reason=%s", delivery_id, reason)


def _fail(delivery: WebhookDelivery, reason: str) -> None:
    """Failed for good, with its reason, for an admin to see and replay."""
    delivery.status, delivery.lease_until = DeliveryStatus.FAILED, None
    delivery.outcome = f"failed: {reason}"[:_OUTCOME_LENGTH]
