"""Outgoing e-mail over SMTP: smtp://, smtps:// or smtp+starttls://, with optional login."""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
import threading
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.crypto import Keyring
from connector.models import Email, Interview
from connector.outbox.links import REVIEWER_INVITATION, with_link
from connector.review.invitations import token_for_email

SMTP_TIMEOUT = 30
MESSAGES_PER_CONNECTION = 100  # servers cap a connection's messages; start afresh well before
LINE_LIMIT = 998  # characters per line, CRLF aside (RFC 5322 section 2.1.1)


class MailError(Exception):
    """Sending failed; `retryable` is False when the server refused the message for good."""

    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


def link_token(db: Session, email: Email, keyring: Keyring) -> str | None:
    """The token of the e-mail's personal link, decrypted; None for an e-mail without one."""
    if email.kind == REVIEWER_INVITATION:
        return token_for_email(db, email, keyring)
    if email.session_id is None:
        return None
    encrypted = db.scalar(select(Interview.token_encrypted)
                          .where(Interview.id == email.session_id))
    return keyring.decrypt(encrypted) if encrypted else None


def hold(email: Email, token: str | None) -> None:
    """Keep the e-mail whole in the outbox: the mailbox page is its delivery."""
    email.text_body, email.html_body = with_link(email.text_body, token), with_link(
        email.html_body, token)


def build_message(email: Email, mail_from: str, domain: str,
                  token: str | None = None) -> Message:
    """A multipart/alternative message; the Message-ID is stable so a resend can be spotted.

    Built with the email package's classic classes: a tenth of the CPU of `EmailMessage` and
    its header registry, which a burst of invitations spends in every worker. Only addresses
    that are not ASCII (which need SMTPUTF8) take the modern API, which knows how to send them.
    """
    name, sender = parseaddr(mail_from)
    if not (sender.isascii() and email.to_address.isascii()):
        return _international(email, mail_from, domain, token)
    message = MIMEMultipart("alternative")
    message["From"] = formataddr((name, sender), charset="utf-8")
    message["To"] = email.to_address
    message["Subject"] = email.subject if email.subject.isascii() else Header(
        email.subject, "utf-8")
    _identify(message, email, domain)
    message.attach(_text(with_link(email.text_body, token), "plain"))
    message.attach(_text(with_link(email.html_body, token), "html"))
    return message


def _text(body: str, subtype: str) -> MIMEText:
    """ASCII in short lines goes as it is (7bit); anything else as UTF-8 in base64."""
    plain = body.isascii() and all(len(line) <= LINE_LIMIT for line in body.splitlines())
    return MIMEText(body, subtype, "us-ascii" if plain else "utf-8")


def _international(email: Email, mail_from: str, domain: str, token: str | None) -> Message:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = email.to_address
    message["Subject"] = email.subject
    _identify(message, email, domain)
    message.set_content(with_link(email.text_body, token))
    message.add_alternative(with_link(email.html_body, token), subtype="html")
    return message


def _identify(message: Message, email: Email, domain: str) -> None:
    digest = hashlib.sha256(email.dedupe_key.encode()).hexdigest()[:16]
    message["Message-ID"] = f"<{email.id}.{digest}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"


def send(smtp_url: str, message: Message) -> None:
    """Deliver one message to the SMTP server named by the URL, over this thread's connection.

    The connection is kept between messages, so a burst costs one connection, not one each.
    Before it is used again a NOOP checks that the server still holds it; a server that has
    dropped it gets a new one. After a refusal smtplib has reset the transaction (RSET), so the
    connection carries the next message; after any other failure it is closed.
    """
    client = _connection(smtp_url)
    try:
        client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError("recipient refused", retryable=False) from exc
    except smtplib.SMTPResponseException as exc:
        # 5xx is a permanent refusal (RFC 5321 section 4.2.1); 4xx means try later.
        raise MailError(f"SMTP {exc.smtp_code}", retryable=exc.smtp_code < 500) from exc
    except (smtplib.SMTPException, OSError) as exc:
        _drop()
        raise MailError(f"SMTP unavailable: {type(exc).__name__}") from exc
    _kept.sent += 1
    if _kept.sent >= MESSAGES_PER_CONNECTION:
        _drop(quit=True)


class _Kept(threading.local):
    client: smtplib.SMTP | None = None
    key: tuple | None = None  # (process id, SMTP URL): a forked child never uses its parent's
    sent = 0


_kept = _Kept()


def _connection(smtp_url: str) -> smtplib.SMTP:
    """This thread's open connection to the server, checked with a NOOP; else a new one."""
    key = (os.getpid(), smtp_url)
    if _kept.client is not None and _kept.key == key:
        try:
            if _kept.client.noop()[0] == 250:
                return _kept.client
        except (smtplib.SMTPException, OSError):
            pass
    _drop(quit=_kept.key == key)
    try:
        _kept.client, _kept.key, _kept.sent = _connect(smtp_url), key, 0
    except (smtplib.SMTPException, OSError) as exc:
        if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500:
            raise MailError(f"SMTP {exc.smtp_code}", retryable=False) from exc
        raise MailError(f"SMTP unavailable: {type(exc).__name__}") from exc
    return _kept.client


def _connect(smtp_url: str) -> smtplib.SMTP:
    parts = urlsplit(smtp_url)
    host, port = parts.hostname, parts.port
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, port or 465, timeout=SMTP_TIMEOUT,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port or (587 if parts.scheme == "smtp+starttls" else 25),
                              timeout=SMTP_TIMEOUT)
    try:
        if parts.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
    except BaseException:
        client.close()
        raise
    return client


def _drop(quit: bool = False) -> None:
    """Forget this thread's connection; say QUIT first when it is still ours and sound."""
    client, _kept.client, _kept.key = _kept.client, None, None
    if client is None:
        return
    try:
        if quit:
            client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()
