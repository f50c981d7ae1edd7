"""The outbox keeps no usable candidate link: a stored e-mail holds a placeholder, and the link
is filled in from the session's encrypted token only to send it; a resend uses the same link."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from connector import lifecycle, models
from connector.models import Email, OutboxStatus, utcnow
from connector.outbox import links
from connector.services import install
from connector.wiring import build_services
from jobs.emails import send_email
from jobs.lifecycle import enqueue_rows
from tests.conftest import fixture_body, free_port, make_installation, signed_post

LINK = re.compile(r"https://connector\.test/interview/([A-Za-z0-9_-]{43})")
STAGE_CHANGE = fixture_body("greenhouse", "candidate_stage_change")


@pytest.fixture
def mailed(settings, smtp_server, greenhouse):
    """Services that send e-mail to a real SMTP server on loopback, and a test client."""
    from connector.app import create_app

    built = install(build_services(dataclasses.replace(settings, smtp_url=smtp_server.url),
                                   synchronous_jobs=True))
    yield built, create_app(services=built).test_client()
    built.close()


def rows_holding(services, secret: str) -> list[str]:
    """Every table.column, of every row of every table, whose value contains the secret."""
    found = []
    with services.db.session() as db:
        for table in models.Base.metadata.sorted_tables:
            for row in db.execute(select(table)).mappings():
                found += [f"{table.name}.{column}" for column, value in row.items()
                          if value is not None and secret in str(value)]
    return found


def sent_links(smtp_server) -> list[str]:
    """The token of the link in each message's text and HTML part, in order."""
    tokens = []
    for _recipients, message in smtp_server.inbox.messages:
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        (token,) = set(LINK.findall(text))
        assert f'href="https://connector.test/interview/{token}"' in html
        tokens.append(token)
    return tokens


def test_no_table_holds_the_link_once_the_invitation_is_sent(mailed, smtp_server):
    services, client = mailed
    installation = make_installation(services, ["Assessment"])
    signed_post(client, installation, STAGE_CHANGE)
    (token,) = sent_links(smtp_server)
    assert rows_holding(services, token) == []
    with services.db.session() as db:
        (email,) = db.scalars(select(Email)).all()
        assert email.status is OutboxStatus.DELIVERED
        assert f"/interview/{links.LINK_PLACEHOLDER}" in email.text_body
        assert f"/interview/{links.LINK_PLACEHOLDER}" in email.html_body


def test_a_resend_after_sending_carries_the_same_link(mailed, smtp_server):
    services, client = mailed
    installation = make_installation(services, ["Assessment"])
    signed_post(client, installation, STAGE_CHANGE)
    with services.db.session() as db:
        interview = db.scalars(select(models.Interview)).one()
        email = lifecycle.resend(db, interview, "https://connector.test", services.keyring)
        email_id = email.id
    enqueue_rows(services.queue, email_ids=[email_id])
    first, again = sent_links(smtp_server)
    assert first == again
    assert client.get(f"/interview/{again}").status_code == 200  # the link still opens
    assert rows_holding(services, again) == []


def test_an_email_waiting_for_a_retry_holds_no_link_either(settings, greenhouse, smtp_server):
    from connector.app import create_app

    dead = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    services = install(build_services(dead, synchronous_jobs=True))
    try:
        installation = make_installation(services, ["Assessment"])
        signed_post(create_app(services=services).test_client(), installation, STAGE_CHANGE)
        with services.db.session() as db:
            email = db.scalars(select(Email)).one()
            assert email.status is OutboxStatus.PENDING and email.attempts == 1
            assert LINK.search(email.text_body) is None and LINK.search(email.html_body) is None
            email.next_attempt_at, email_id = utcnow(), email.id
        services.settings = dataclasses.replace(dead, smtp_url=smtp_server.url)
        send_email(email_id)  # the server is back: the retry sends the whole link
        (token,) = sent_links(smtp_server)
        assert rows_holding(services, token) == []
    finally:
        services.close()


def test_the_placeholder_replaces_only_the_token():
    body = "Start: https://x.example/interview/AbCdEfGhIjKlMnOpQrStUv_-0123456789abcdefghi\n"
    stored = links.without_link(body)
    assert stored == f"Start: https://x.example/interview/{links.LINK_PLACEHOLDER}\n"
    assert links.with_link(stored, "tok") == "Start: https://x.example/interview/tok\n"
