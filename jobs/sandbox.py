"""The sandbox ATS's side: send the signed webhook for a card's move, as a real ATS would.

It goes over HTTP to the installation's own webhook URL, so the connector receives it exactly as
it receives any ATS's: the board's web request only enqueues this job and never calls itself.
"""

from __future__ import annotations

import logging

import requests

from adapters.sandbox.adapter import SandboxAdapter
from connector.installations import webhook_url
from connector.models import Installation, SandboxCard
from connector.sandbox import board
from connector.services import current

log = logging.getLogger("connector.jobs")

JOB = board.WEBHOOK_JOB
DELETION_JOB = board.DELETION_JOB
TIMEOUT = (5, 20)  # connect, read: seconds
# Standard Webhooks asks senders to retry with backoff, keeping the webhook-id; a few suffice.
RETRY_DELAYS = (5, 30, 120, 600)


def send_webhook(card_id: int, stage_id: str, message_id: str, occurred_at: str,
                 attempt: int = 1) -> None:
    """POST one move's event, signed with the installation's secret; retry what may pass later."""
    services = current()
    with services.db.session() as session:
        card = session.get(SandboxCard, card_id)
        if card is None or stage_id not in board.BY_ID:
            return  # the card is gone (or the board changed): nothing to report
        body = board.webhook_body(card, stage_id, occurred_at, services.settings.public_base_url)
        secret, url = _target(services, card.installation)
    if _retry_after_send(url, body, secret, message_id, attempt, f"card={card_id}"):
        services.queue.enqueue_in(RETRY_DELAYS[attempt - 1], JOB, card_id, stage_id, message_id,
                                  occurred_at, attempt + 1)


def send_deletion(installation_id: int, candidate_id: str, message_id: str, occurred_at: str,
                  attempt: int = 1) -> None:
    """POST candidate.deleted for a card deleted from the board; retried as a move is."""
    services = current()
    with services.db.session() as session:
        installation = session.get(Installation, installation_id)
        if installation is None:
            return
        secret, url = _target(services, installation)
    body = board.deletion_body(candidate_id, occurred_at)
    if _retry_after_send(url, body, secret, message_id, attempt, "deletion"):
        services.queue.enqueue_in(RETRY_DELAYS[attempt - 1], DELETION_JOB, installation_id,
                                  candidate_id, message_id, occurred_at, attempt + 1)


def _target(services, installation: Installation) -> tuple[str, str]:
    """The installation's webhook secret and URL."""
    return (services.keyring.decrypt(installation.webhook_secret_encrypted),
            webhook_url(services.settings.public_base_url, installation))


def _retry_after_send(url: str, body: bytes, secret: str, message_id: str, attempt: int,
                      what: str) -> bool:
    """Send once; True when it may pass later, so the caller retries after RETRY_DELAYS."""
    headers = SandboxAdapter.sign(body, secret, message_id=message_id)
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT,
                                 allow_redirects=False)
        status = response.status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    if isinstance(status, int) and status < 300:
        log.info("sandbox.webhook.sent %s message=%s status=%s", what, message_id, status)
        return False
    if (isinstance(status, int) and 400 <= status < 500 and status not in (408, 429)) \
            or attempt > len(RETRY_DELAYS):
        log.warning("sandbox.webhook.failed %s message=%s status=%s attempts=%s",
                    what, message_id, status, attempt)
        return False
    log.warning("sandbox.webhook.retry %s message=%s status=%s in=%ss",
                what, message_id, status, RETRY_DELAYS[attempt - 1])
    return True
