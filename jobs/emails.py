"""Send one e-mail from the outbox; without SMTP_URL it is held for the mailbox page."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from connector import tasks
from connector.outbox import mail
from connector.models import Email, OutboxStatus, utcnow
from connector.services import current
from jobs import failures
from jobs.claims import backoff_seconds, claim

log = logging.getLogger("connector.jobs")

MAX_ATTEMPTS = 8


def send_email(email_id: int) -> None:
    """Send an e-mail once; a crash after the send and before the commit may repeat it."""
    services = current()
    with services.db.session() as session:
        if not claim(session, Email, email_id, OutboxStatus.PENDING, OutboxStatus.SENDING):
            return
        attempts = session.get(Email, email_id).attempts
    if attempts > MAX_ATTEMPTS:  # every earlier attempt was killed before it could say why
        return _record_failure(services, email_id, failures.Abandoned(attempts))
    try:
        _send(services, email_id)
    except Exception as exc:  # whatever it is, it counts, and MAX_ATTEMPTS of them stop it
        _record_failure(services, email_id, exc)


def _send(services, email_id: int) -> None:
    settings = services.settings
    with services.db.session() as session:
        email = session.get(Email, email_id)
        if email is None or email.status is not OutboxStatus.SENDING:
            return  # its candidate was erased since the claim
        token = mail.link_token(session, email, services.keyring)
        if not settings.smtp_url:
            mail.hold(email, token)
            email.status, email.lease_until = OutboxStatus.HELD, None
            log.info("mail.held email=%s kind=%s", email_id, email.kind)
            return
        domain = urlsplit(settings.public_base_url).hostname or "localhost"
        message = mail.build_message(email, settings.mail_from, domain, token)
    if not _still_sending(services, email_id):  # erased while the message was built
        log.info("mail.dropped email=%s reason=erased", email_id)
        return
    mail.send(settings.smtp_url, message)
    with services.db.session() as session:
        email = session.get(Email, email_id)
        email.status, email.sent_at, email.lease_until, email.last_error = (
            OutboxStatus.DELIVERED, utcnow(), None, None)
    log.info("mail.sent email=%s", email_id)


def _still_sending(services, email_id: int) -> bool:
    with services.db.session() as session:
        return session.scalar(select(Email.status).where(Email.id == email_id)) \
            is OutboxStatus.SENDING


def _record_failure(services, email_id: int, error: Exception) -> None:
    """Schedule the next try, or stop for good, keeping why (no candidate data)."""
    known = isinstance(error, mail.MailError)  # its words are ours: safe to keep whole
    why = str(error)[:500] if known else failures.reason(error)
    with services.db.session() as session:
        email = session.get(Email, email_id)
        email.last_error, email.lease_until = why, None
        if (known and not error.retryable) or email.attempts >= MAX_ATTEMPTS:
            email.status = OutboxStatus.FAILED
            log.warning("mail.failed email=%s error=%s", email_id, why)
            return
        delay = backoff_seconds(email.attempts)
        email.status = OutboxStatus.PENDING
        email.next_attempt_at = utcnow() + timedelta(seconds=delay)
    log.warning("mail.retry email=%s in=%.0fs error=%s", email_id, delay, why)
    services.queue.enqueue_in(delay, tasks.SEND_EMAIL, email_id)
