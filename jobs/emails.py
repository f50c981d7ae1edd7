"""Send one e-mail from the outbox; without SMTP_URL it is held for the mailbox page."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from connector import mail
from connector.models import Email, OutboxStatus, utcnow
from connector.services import current
from jobs.claims import backoff_seconds, claim

log = logging.getLogger("connector.jobs")

MAX_ATTEMPTS = 8


def send_email(email_id: int) -> None:
    """Send an e-mail once; a crash after the send and before the commit may repeat it."""
    services = current()
    settings = services.settings
    with services.db.session() as session:
        if not claim(session, Email, email_id, OutboxStatus.PENDING, OutboxStatus.SENDING):
            return
        email = session.get(Email, email_id)
        token = mail.link_token(session, email, services.keyring)
        if not settings.smtp_url:
            mail.hold(email, token)
            email.status, email.lease_until = OutboxStatus.HELD, None
            log.info("mail.held email=%s kind=%s", email_id, email.kind)
            return
        domain = urlsplit(settings.public_base_url).hostname or "localhost"
        message = mail.build_message(email, settings.mail_from, domain, token)
    try:
        mail.send(settings.smtp_url, message)
    except mail.MailError as exc:
        _record_failure(services, email_id, exc)
        return
    with services.db.session() as session:
        email = session.get(Email, email_id)
        email.status, email.sent_at, email.lease_until, email.last_error = (
            OutboxStatus.DELIVERED, utcnow(), None, None)
    log.info("mail.sent email=%s", email_id)


def _record_failure(services, email_id: int, error: mail.MailError) -> None:
    with services.db.session() as session:
        email = session.get(Email, email_id)
        email.last_error, email.lease_until = str(error)[:500], None
        if not error.retryable or email.attempts >= MAX_ATTEMPTS:
            email.status = OutboxStatus.FAILED
            log.warning("mail.failed email=%s error=%s", email_id, error)
            return
        delay = backoff_seconds(email.attempts)
        email.status = OutboxStatus.PENDING
        email.next_attempt_at = utcnow() + timedelta(seconds=delay)
    log.warning("mail.retry email=%s in=%.0fs error=%s", email_id, delay, error)
    services.queue.enqueue_in(delay, "jobs.emails.send_email", email_id)
