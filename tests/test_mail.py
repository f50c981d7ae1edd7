"""The invitation reaches a real SMTP server on loopback, as one multipart message."""

from __future__ import annotations

import dataclasses
import re

import pytest

from connector.models import Email, OutboxStatus
from connector.services import install
from connector.wiring import build_services
from jobs.emails import send_email
from tests.conftest import fixture_body, signed_post


@pytest.fixture
def smtp_services(settings, smtp_server):
    built = install(build_services(dataclasses.replace(settings, smtp_url=smtp_server.url),
                                   synchronous_jobs=True))
    yield built
    built.close()


@pytest.fixture
def smtp_client(smtp_services):
    from connector.app import create_app

    return create_app(services=smtp_services).test_client()


def test_the_invitation_is_sent_over_smtp(smtp_client, smtp_services, smtp_server, greenhouse):
    from tests.conftest import make_installation

    installation = make_installation(smtp_services, ["Assessment"])
    signed_post(smtp_client, installation, fixture_body("greenhouse", "candidate_stage_change"))
    ((recipients, message),) = smtp_server.inbox.messages
    assert recipients == ["giuseppe.hurley@example.com"]
    assert message["Subject"] == "Your video interview with Acme for Designer"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = re.search(r"https://connector\.test/interview/[A-Za-z0-9_-]{43}", text)[0]
    assert f'href="{link}"' in html
    with smtp_services.db.session() as session:
        (email,) = session.query(Email).all()
        assert email.status is OutboxStatus.DELIVERED and email.sent_at is not None


def test_an_unreachable_server_is_retried_later(settings, greenhouse):
    from tests.conftest import free_port, make_installation

    dead = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    services = install(build_services(dead, synchronous_jobs=True))
    try:
        from connector.app import create_app

        installation = make_installation(services, ["Assessment"])
        signed_post(create_app(services=services).test_client(), installation,
                    fixture_body("greenhouse", "candidate_stage_change"))
        with services.db.session() as session:
            (email,) = session.query(Email).all()
            assert email.status is OutboxStatus.PENDING and email.attempts == 1
            assert "SMTP unavailable" in email.last_error
            email_id = email.id
        send_email(email_id)  # not due yet: another run must not send or count an attempt
        with services.db.session() as session:
            assert session.get(Email, email_id).attempts == 1
    finally:
        services.close()


def built(**changes) -> bytes:
    """The bytes an invitation goes out as, from an Email row that is never stored."""
    from connector.outbox.mail import build_message

    fields = dict(id=7, to_address="ana@example.com", subject="Your interview",
                  dedupe_key="invitation:ses_1", text_body="Hello Ana\n",
                  html_body="<p>Hello Ana</p>\n")
    fields.update(changes)
    mail_from = fields.pop("mail_from", "Interviews <interviews@example.com>")
    message = build_message(Email(**fields), mail_from, "connector.test", None)
    return message.as_bytes()


def read(raw: bytes):
    import email
    from email import policy

    return email.message_from_bytes(raw, policy=policy.default)


def test_accented_headers_and_bodies_read_back_whole():
    raw = built(subject="Entrevista para Diseñadora — José", text_body="Olá José, ação!\n",
                html_body="<p>Olá José</p>\n", mail_from="Recrutação Açme <rh@acme.example>")
    assert raw.isascii()  # nothing 8-bit on the wire: any server relays it
    message = read(raw)
    assert message["Subject"] == "Entrevista para Diseñadora — José"
    assert message["From"].addresses[0].display_name == "Recrutação Açme"
    assert message["From"].addresses[0].addr_spec == "rh@acme.example"
    assert message.get_body(("plain",)).get_content() == "Olá José, ação!\n"
    assert message.get_body(("html",)).get_content() == "<p>Olá José</p>\n"


def test_a_plain_message_goes_as_it_is_with_a_stable_message_id():
    raw = built()
    assert b"Content-Transfer-Encoding: 7bit" in raw and b"Hello Ana" in raw
    assert read(raw)["Message-ID"] == read(built())["Message-ID"]
    assert read(raw)["Message-ID"].endswith("@connector.test>")
    assert read(raw)["Auto-Submitted"] == "auto-generated"


def test_a_line_longer_than_smtp_allows_is_encoded_not_sent_long():
    html = "<p>" + "word " * 400 + "</p>\n"  # 2,008 characters on one line
    raw = built(html_body=html)
    assert max(len(line) for line in raw.splitlines()) <= 998
    assert read(raw).get_body(("html",)).get_content() == html


def test_an_address_beyond_ascii_is_built_for_smtputf8():
    message = read(built(to_address="josé@exämple.com"))
    assert message["To"].addresses[0].addr_spec == "josé@exämple.com"
    assert message.get_body(("plain",)).get_content() == "Hello Ana\n"
