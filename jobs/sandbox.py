"""The sandbox ATS's side: send the signed webhook for a card's move, as a real ATS would.

It goes over HTTP to the installation's own webhook URL, so the connector receives it exactly as
it receives any ATS's: the board's web request only enqueues this job and never calls itself.
"""

from __future__ import annotations

import logging

import requests

from adapters.sandbox.adapter import SandboxAdapter
from connector.installations import webhook_url
from connector.models import SandboxCard
from connector.sandbox import board
from connector.services import current

log = logging.getLogger("connector.jobs")

JOB = board.WEBHOOK_JOB
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
        installation = card.installation
        secret = services.keyring.decrypt(installation.webhook_secret_encrypted)
        base_url = services.settings.public_base_url
        body = board.webhook_body(card, stage_id, occurred_at, base_url)
        url = webhook_url(base_url, installation)
    headers = SandboxAdapter.sign(body, secret, message_id=message_id)
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT,
                                 allow_redirects=False)
        status = response.status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    if isinstance(status, int) and status < 300:
        log.info("sandbox.webhook.sent card=%s message=%s status=%s", card_id, message_id, status)
        return
    if (isinstance(status, int) and 400 <= status < 500 and status not in (408, 429)) \
            or attempt > len(RETRY_DELAYS):
        log.warning("sandbox.webhook.failed card=%s message=%s status=%s attempts=%s",
                    card_id, message_id, status, attempt)
        return
    delay = RETRY_DELAYS[attempt - 1]
    log.warning("sandbox.webhook.retry card=%s message=%s status=%s in=%ss",
                card_id, message_id, status, delay)
    services.queue.enqueue_in(delay, JOB, card_id, stage_id, message_id, occurred_at,
                              attempt + 1)
