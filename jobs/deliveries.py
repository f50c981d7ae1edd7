"""Process one stored webhook delivery: the work the webhook view leaves for later."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from adapters.events import Event, EventKind
from connector import interviews, tasks
from connector.installations import adapter_for
from connector.models import (
    NOT_ACTIONABLE, Actor, DeliveryStatus, ErasureReason, Installation, WebhookDelivery, utcnow,
)
from connector.privacy.erasure import Person, Who, erase
from connector.services import current
from jobs import emails, failures
from jobs.claims import backoff_seconds, claim_now
from jobs.lifecycle import enqueue_rows, schedule
from jobs.pushes import pushing

log = logging.getLogger("connector.jobs")

MAX_ATTEMPTS = 10
JOB = tasks.PROCESS_DELIVERY
_OUTCOME_LENGTH = WebhookDelivery.__table__.c.outcome.type.length


def process_delivery(delivery_id: int) -> None:
    """Act on a delivery once: create the session, the e-mail and the note it calls for."""
    services = current()
    attempts = claim_now(services.db, WebhookDelivery, delivery_id, DeliveryStatus.RECEIVED,
                         DeliveryStatus.PROCESSING)
    if attempts is None:
        return
    if attempts > MAX_ATTEMPTS:  # every earlier attempt was killed before it could say why
        return _stop(services, delivery_id, failures.reason(failures.Abandoned(attempts)))
    try:
        done = _act(services, delivery_id)
    except Exception as exc:  # whatever it is, it counts, and MAX_ATTEMPTS of them stop it
        _record_failure(services, delivery_id, failures.reason(exc))
        return
    if done is None:
        return  # an erasure, recorded by _erase
    ats, result, invitation = done
    log.info("%s.delivery.processed delivery=%s outcome=%s", ats, delivery_id, result.outcome)
    if invitation is not None:  # the candidate waits for this one: it goes first
        emails.send_prepared(services, invitation)
    enqueue_rows(services.queue, [i for i in result.email_ids if not _is(invitation, i)],
                 result.push_ids)
    schedule(services.queue, result.timers)


def _act(services, delivery_id: int):
    """Read the delivery and act on it; (ats, what was done, the invitation to send now).

    One transaction when the event is complete as it came. An adapter whose ATS sends ids only
    completes the event through its API first, outside any transaction; an erasure, too, runs
    outside one (jobs.deliveries._erase).
    """
    with services.db.session() as session:
        delivery, installation = _load(session, delivery_id)
        adapter = adapter_for(installation, services.keyring, services.settings,
                              pushing(services).tools(installation.public_id, installation.ats))
        event = _read(adapter, delivery)
        erasure = event is not None and event.kind is EventKind.CANDIDATE_ERASED
        wanted = _wants_enrichment(adapter, installation, event)
        if not erasure and not wanted:
            return _record(session, services, delivery, installation, event)
    if erasure:
        return _erase(services, delivery_id, event)
    event = adapter.enrich(event)
    with services.db.session() as session:
        delivery, installation = _load(session, delivery_id)
        return _record(session, services, delivery, installation, event)


def _load(session, delivery_id: int) -> tuple[WebhookDelivery, Installation]:
    """The delivery and its installation, with the organization and stage rules, in one query."""
    return session.execute(
        select(WebhookDelivery, Installation)
        .join(Installation, Installation.id == WebhookDelivery.installation_id)
        .where(WebhookDelivery.id == delivery_id)
        .options(joinedload(Installation.organization), joinedload(Installation.stage_rules))
    ).unique().one()


def _read(adapter, delivery: WebhookDelivery) -> Event | None:
    """The delivery's raw body read again by today's adapter.

    Reading the stored bytes (not a stored parse) lets a parser fix reach every replay.
    """
    _action, event = adapter.read(delivery.body.encode("utf-8"), dict(delivery.headers or {}))
    return event


def _wants_enrichment(adapter, installation: Installation, event: Event | None) -> bool:
    """Only an event that will invite someone is worth a call to the ATS."""
    return event is not None and event.candidate is None and \
        adapter.manifest.can("enrich") and interviews.invites(installation, event)


def _record(session, services, delivery: WebhookDelivery, installation: Installation,
            event: Event | None):
    """Act on the event in the delivery's own transaction, and mark the delivery done."""
    result = (_handle(session, services, installation, event) if event
              else interviews.Handled(NOT_ACTIONABLE, [], []))
    invitation = None
    if result.invitation is not None:
        invitation = emails.prepare(session, services, *result.invitation)
    # Set last, so the parse goes in the one UPDATE that marks the delivery done.
    delivery.event = event.to_dict() if event else None
    delivery.status = DeliveryStatus.PROCESSED if result.acted else DeliveryStatus.IGNORED
    delivery.outcome = result.outcome
    delivery.processed_at = utcnow()
    delivery.lease_until = None
    return installation.ats, result, invitation


def _is(invitation, email_id: int) -> bool:
    """Whether the e-mail is the one this job sends itself (held ones need no job either)."""
    return invitation is not None and invitation.email_id == email_id


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
