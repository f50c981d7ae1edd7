"""One SMTP connection carries many messages, and is replaced when the server drops it."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from connector.outbox import mail
from tests.conftest import free_port

REFUSED = "nobody@example.com"


class Counting:
    """A loopback SMTP server's handler: connections greeted, messages taken, one refusal."""

    def __init__(self):
        self.greetings, self.messages = 0, []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address == REFUSED:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.rcpt_tos[:])
        return "250 Message accepted for delivery"


@pytest.fixture
def server():
    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.url = f"smtp://127.0.0.1:{controller.port}"
    yield controller
    mail._drop()
    if controller._thread is not None:
        controller.stop()


def message(to: str) -> EmailMessage:
    built = EmailMessage()
    built["From"], built["To"], built["Subject"] = "connector@example.com", to, "Hello"
    built.set_content("Hello")
    return built


def test_messages_share_one_connection(server):
    for n in range(3):
        mail.send(server.url, message(f"c{n}@example.com"))
    assert server.handler.messages == [["c0@example.com"], ["c1@example.com"], ["c2@example.com"]]
    assert server.handler.greetings == 1


def test_a_dropped_connection_is_replaced(server):
    mail.send(server.url, message("first@example.com"))
    server.stop()  # the server goes away, and with it the connection we kept
    again = Controller(server.handler, hostname="127.0.0.1", port=server.port)
    again.start()
    try:
        mail.send(server.url, message("second@example.com"))
    finally:
        again.stop()
    assert server.handler.messages == [["first@example.com"], ["second@example.com"]]
    assert server.handler.greetings == 2


def test_a_refused_recipient_leaves_the_connection_usable(server):
    with pytest.raises(mail.MailError) as refused:
        mail.send(server.url, message(REFUSED))
    assert not refused.value.retryable
    mail.send(server.url, message("next@example.com"))
    assert server.handler.messages == [["next@example.com"]]
    assert server.handler.greetings == 1


def test_a_connection_is_renewed_after_its_share_of_messages(server, monkeypatch):
    monkeypatch.setattr(mail, "MESSAGES_PER_CONNECTION", 2)
    for n in range(5):
        mail.send(server.url, message(f"c{n}@example.com"))
    assert len(server.handler.messages) == 5
    assert server.handler.greetings == 3


def test_another_server_gets_its_own_connection(server):
    other = Controller(Counting(), hostname="127.0.0.1", port=free_port())
    other.start()
    try:
        mail.send(server.url, message("a@example.com"))
        mail.send(f"smtp://127.0.0.1:{other.port}", message("b@example.com"))
        mail.send(server.url, message("c@example.com"))
    finally:
        other.stop()
    assert other.handler.messages == [["b@example.com"]]
    assert server.handler.greetings == 2  # the switch closed the first connection
