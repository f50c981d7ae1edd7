"""Outgoing e-mail over SMTP: smtp://, smtps:// or smtp+starttls://, with optional login."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from connector.models import Email

SMTP_TIMEOUT = 30


class MailError(Exception):
    """Sending failed; `retryable` is False when the server refused the message for good."""

    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


def build_message(email: Email, mail_from: str, domain: str) -> EmailMessage:
    """A multipart/alternative message; the Message-ID is stable so a resend can be spotted."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = email.to_address
    message["Subject"] = email.subject
    digest = hashlib.sha256(email.dedupe_key.encode()).hexdigest()[:16]
    message["Message-ID"] = f"<{email.id}.{digest}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
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
