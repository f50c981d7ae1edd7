"""What an admin does to a stopped row: retry a push, replay a delivery. CLI and web share it.

Each function changes rows inside the caller's database session and returns what to enqueue
once that session has committed; a job enqueued earlier could run before the commit and find
the row unchanged. Passing `organization_id` confines it to that organization's rows, so an
id of another organization is "not found" like an id that does not exist.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector import tasks
from connector.models import (
    DeliveryStatus,
    Installation,
    InstallationStatus,
    OutboxStatus,
    Push,
    WebhookDelivery,
    utcnow,
)

RETRYABLE = (OutboxStatus.FAILED, OutboxStatus.HELD)
PUSH_JOB = tasks.DELIVER_PUSH
DELIVERY_JOB = tasks.PROCESS_DELIVERY


class NoSuchRow(LookupError):
    """No such row (in this organization)."""


class Refused(ValueError):
    """The row exists but is not in a state this action applies to; the message says why."""


def find_push(session: Session, push_id: int, organization_id: int | None = None) -> Push:
    """The push, or NoSuchRow; scoped to the organization when one is given."""
    return _find(session, Push, push_id, organization_id, "push")


def find_delivery(session: Session, delivery_id: int,
                  organization_id: int | None = None) -> WebhookDelivery:
    """The webhook delivery, or NoSuchRow; scoped to the organization when one is given."""
    return _find(session, WebhookDelivery, delivery_id, organization_id, "delivery")


def _find(session: Session, model, row_id: int, organization_id: int | None, noun: str):
    query = select(model).where(model.id == row_id)
    if organization_id is not None:
        query = query.join(Installation).where(Installation.organization_id == organization_id)
    # Locked, so two retries (or a retry and a worker's claim) cannot both act on one row.
    row = session.scalar(query.with_for_update(of=model))
    if row is None:
        raise NoSuchRow(f"no {noun} {row_id}")
    return row


def retry_push(session: Session, push_id: int, organization_id: int | None = None) -> Push:
    """Make a failed or held push due now (attempts and last error kept); enqueue PUSH_JOB."""
    push = find_push(session, push_id, organization_id)
    if push.status not in RETRYABLE:
        raise Refused(f"push {push_id} is {push.status.value}; "
                      "only a failed or held push can be retried")
    push.status, push.next_attempt_at, push.lease_until = OutboxStatus.PENDING, utcnow(), None
    session.flush()
    clear_attention(session, push.installation_id)
    return push


def clear_attention(session: Session, installation_id: int) -> None:
    """The installation is fine again once none of its pushes is failed."""
    failed = session.scalar(select(func.count()).select_from(Push).where(
        Push.installation_id == installation_id, Push.status == OutboxStatus.FAILED))
    installation = session.get(Installation, installation_id)
    if failed == 0 and installation.status is InstallationStatus.NEEDS_ATTENTION:
        installation.status, installation.attention_reason = InstallationStatus.ACTIVE, None


def replay_delivery(session: Session, delivery_id: int,
                    organization_id: int | None = None) -> WebhookDelivery:
    """Put a stored delivery back to "received", as if it had just come in; enqueue DELIVERY_JOB.

    The job's natural keys make this safe: a stage change already acted on finds its session
    and creates no second one, e-mail or note.
    """
    delivery = find_delivery(session, delivery_id, organization_id)
    if not delivery.replayable:
        raise Refused(f"delivery {delivery_id} is not an event the connector acts on")
    if delivery.status is DeliveryStatus.PROCESSING and (
            delivery.lease_until is None or delivery.lease_until > utcnow()):
        raise Refused(f"delivery {delivery_id} is being processed now")
    delivery.status, delivery.outcome, delivery.processed_at = DeliveryStatus.RECEIVED, None, None
    delivery.attempts, delivery.lease_until = 0, None  # a fresh delivery's full retry budget
    return delivery


def reactivate(session: Session, public_id: str, organization_id: int) -> Installation:
    """Mark an installation active again after its admin fixed what stopped it."""
    installation = session.scalar(select(Installation).where(
        Installation.public_id == public_id, Installation.organization_id == organization_id))
    if installation is None:
        raise NoSuchRow(f"no installation {public_id}")
    installation.status, installation.attention_reason = InstallationStatus.ACTIVE, None
    return installation
