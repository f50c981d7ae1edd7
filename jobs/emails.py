"""Send one e-mail from the outbox; without SMTP_URL it is held for the mailbox page."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message
from urllib.parse import urlsplit

from sqlalchemy import bindparam, select, update

from connector import tasks
from connector.outbox import mail
from connector.models import Email, OutboxStatus, utcnow
from connector.services import current
from jobs import failures
from jobs.claims import backoff_seconds, claim, claim_now

log = logging.getLogger("connector.jobs")

MAX_ATTEMPTS = 8
_EMAILS = Email.__table__
# Built once: a burst of invitations runs it once each (Core, not the ORM's bulk UPDATE).
_DELIVERED = update(_EMAILS).where(
    _EMAILS.c.id == bindparam("email_id"), _EMAILS.c.status == OutboxStatus.SENDING).values(
    status=OutboxStatus.DELIVERED, sent_at=bindparam("sent_at"), lease_until=None,
    last_error=None)


@dataclass(frozen=True)
class Prepared:
    """An e-mail made ready in its writer's transaction: claimed and built, or held."""

    email_id: int
    attempts: int = 0
    message: Message | None = None  # None: held for the mailbox page, nothing to send


def send_email(email_id: int) -> None:
    """Send an e-mail once; a crash after the send and before the commit may repeat it."""
    services = current()
    attempts = claim_now(services.db, Email, email_id, OutboxStatus.PENDING,
                         OutboxStatus.SENDING)
    if attempts is None:
        return
    if attempts > MAX_ATTEMPTS:  # every earlier attempt was killed before it could say why
        return _record_failure(services, email_id, failures.Abandoned(attempts))
    try:
        _send(services, email_id)
    except Exception as exc:  # whatever it is, it counts, and MAX_ATTEMPTS of them stop it
        _record_failure(services, email_id, exc)


def prepare(session, services, email: Email, token: str | None) -> Prepared | None:
    """Claim and build a fresh e-mail in the transaction that wrote it, to send after commit.

    The claim is the same lease a job takes (jobs.claims), committed with the row itself: if
    this process dies before sending, the lease runs out and the sweeper gives the e-mail to
    its own job. Without SMTP_URL it is held at once. None if the row is not ours to send.
    """
    if not services.settings.smtp_url:
        _hold(email, token)
        return Prepared(email.id)
    attempts = claim(session, Email, email.id, OutboxStatus.PENDING, OutboxStatus.SENDING)
    if attempts is None:
        return None
    return Prepared(email.id, attempts, _message(services.settings, email, token))


def send_prepared(services, prepared: Prepared | None) -> None:
    """Send what `prepare` built, once its transaction has committed."""
    if prepared is None or prepared.message is None:
        return
    try:
        # No second look at the row: it was written, claimed and built in the transaction
        # that has just committed, so an erasure cannot have come between more than it could
        # between a job's look and its send.
        mail.send(services.settings.smtp_url, prepared.message)
        _delivered(services, prepared.email_id)
    except Exception as exc:  # whatever it is, it counts, and MAX_ATTEMPTS of them stop it
        _record_failure(services, prepared.email_id, exc)


def _send(services, email_id: int) -> None:
    settings = services.settings
    with services.db.session() as session:
        email = session.get(Email, email_id)
        if email is None or email.status is not OutboxStatus.SENDING:
            return  # its candidate was erased since the claim
        token = mail.link_token(session, email, services.keyring)
        if not settings.smtp_url:
            return _hold(email, token)
        message = _message(settings, email, token)
    if not _still_sending(services, email_id):  # erased while the message was built
        log.info("mail.dropped email=%s reason=erased", email_id)
        return
    mail.send(settings.smtp_url, message)
    _delivered(services, email_id)


def _hold(email: Email, token: str | None) -> None:
    mail.hold(email, token)
    email.status, email.lease_until = OutboxStatus.HELD, None
    log.info("mail.held email=%s kind=%s", email.id, email.kind)


def _message(settings, email: Email, token: str | None) -> Message:
    domain = urlsplit(settings.public_base_url).hostname or "localhost"
    return mail.build_message(email, settings.mail_from, domain, token)


def _delivered(services, email_id: int) -> None:
    """Mark the e-mail sent, unless an erasure has taken it meanwhile."""
    services.db.execute_now(_DELIVERED, {"email_id": email_id, "sent_at": utcnow()})
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
