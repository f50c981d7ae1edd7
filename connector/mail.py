"""Outgoing e-mail over SMTP: smtp://, smtps:// or smtp+starttls://, with optional login."""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.crypto import Keyring
from connector.models import Email, InterviewSession

SMTP_TIMEOUT = 30
# A stored e-mail keeps its personal link without the token (a candidate's /interview/ link, or
# a reviewer's invitation, /review/shared/); the token is filled in from its encrypted copy only
# to send (or, with no SMTP server, to hold it for the mailbox).
LINK_PLACEHOLDER = "[personal-link]"
LINK_PATHS = ("/interview/", "/review/shared/")
_LINK_TOKEN = re.compile(r"(/interview/|/review/shared/)[A-Za-z0-9_-]{16,}")
REVIEWER_INVITATION = "reviewer_invitation"  # Email.kind of a reviewer's invitation


class MailError(Exception):
    """Sending failed; `retryable` is False when the server refused the message for good."""

    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


def without_link(body: str) -> str:
    """The body with each personal link's token replaced by the placeholder."""
    return _LINK_TOKEN.sub(rf"\g<1>{LINK_PLACEHOLDER}", body)


def with_link(body: str, token: str | None) -> str:
    """The body with the placeholder replaced by the token of the e-mail's one personal link."""
    if token is None:
        return body
    for path in LINK_PATHS:
        body = body.replace(f"{path}{LINK_PLACEHOLDER}", f"{path}{token}")
    return body


def link_token(db: Session, email: Email, keyring: Keyring) -> str | None:
    """The token of the e-mail's personal link, decrypted; None for an e-mail without one."""
    if email.kind == REVIEWER_INVITATION:
        from connector.review.invitations import token_for_email

        return token_for_email(db, email, keyring)
    if email.session_id is None:
        return None
    encrypted = db.scalar(select(InterviewSession.token_encrypted)
                          .where(InterviewSession.id == email.session_id))
    return keyring.decrypt(encrypted) if encrypted else None


def hold(email: Email, token: str | None) -> None:
    """Keep the e-mail whole in the outbox: the mailbox page is its delivery."""
    email.text_body, email.html_body = with_link(email.text_body, token), with_link(
        email.html_body, token)


def build_message(email: Email, mail_from: str, domain: str,
                  token: str | None = None) -> EmailMessage:
    """A multipart/alternative message; the Message-ID is stable so a resend can be spotted."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = email.to_address
    message["Subject"] = email.subject
    digest = hashlib.sha256(email.dedupe_key.encode()).hexdigest()[:16]
    message["Message-ID"] = f"<{email.id}.{digest}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(with_link(email.text_body, token))
    message.add_alternative(with_link(email.html_body, token), subtype="html")
    return message


def send(smtp_url: str, message: EmailMessage) -> None:
    """Deliver one message to the SMTP server named by the URL."""
    parts = urlsplit(smtp_url)
    host, port = parts.hostname, parts.port
    try:
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(host, port or 465, timeout=SMTP_TIMEOUT,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port or (587 if parts.scheme == "smtp+starttls" else 25),
                                  timeout=SMTP_TIMEOUT)
        with client:
            if parts.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError("recipient refused", retryable=False) from exc
    except smtplib.SMTPResponseException as exc:
        # 5xx is a permanent refusal (RFC 5321 section 4.2.1); 4xx means try later.
        raise MailError(f"SMTP {exc.smtp_code}", retryable=exc.smtp_code < 500) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"SMTP unavailable: {type(exc).__name__}") from exc
