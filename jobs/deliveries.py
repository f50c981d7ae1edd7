"""Process one stored webhook delivery: the work the webhook view leaves for later."""

from __future__ import annotations

import logging

from adapters.base import Event, EventKind
from connector import interviews
from connector.models import DeliveryStatus, Installation, WebhookDelivery, utcnow
from connector.services import current
from jobs.claims import claim
from jobs.lifecycle import enqueue_rows, schedule

log = logging.getLogger("connector.jobs")

MAX_ATTEMPTS = 10


def process_delivery(delivery_id: int) -> None:
    """Act on a delivery once: create the session, the e-mail and the note it calls for."""
    services = current()
    with services.db.session() as session:
        if not claim(session, WebhookDelivery, delivery_id,
                     DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSING):
            return
    try:
        with services.db.session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            installation = session.get(Installation, delivery.installation_id)
            result = _handle(session, services, installation, Event.from_dict(delivery.event))
            delivery.status = (DeliveryStatus.PROCESSED if result.acted
                               else DeliveryStatus.IGNORED)
            delivery.outcome = result.outcome
            delivery.processed_at = utcnow()
            delivery.lease_until = None
            ats = installation.ats
    except Exception:
        _give_up_if_exhausted(services, delivery_id)
        raise
    log.info("%s.delivery.processed delivery=%s outcome=%s", ats, delivery_id, result.outcome)
    enqueue_rows(services.queue, result.email_ids, result.push_ids)
    schedule(services.queue, result.timers)


def _handle(session, services, installation: Installation, event: Event) -> interviews.Result:
    if event.kind is EventKind.STAGE_CHANGED:
        return interviews.handle_stage_change(
            session, services.keyring, services.settings.public_base_url, installation, event)
    if event.kind is EventKind.APPLICATION_CLOSED:
        return interviews.handle_application_closed(session, installation, event)
    return interviews.Result(f"unhandled_{event.kind}", [], [])


def _give_up_if_exhausted(services, delivery_id: int) -> None:
    """After MAX_ATTEMPTS failures the delivery is marked failed for an admin to replay."""
    with services.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.outcome = "error"
            delivery.lease_until = None
        else:  # let the sweeper pick it up again soon, not after the whole lease
            delivery.status = DeliveryStatus.RECEIVED
            delivery.lease_until = None
