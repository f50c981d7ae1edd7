"""A completed interview, the ways to reach it (a reviewer, a share link, an invitation, an API
token), and the access log read back whole."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector import accounts
from connector.api import tokens
from connector.models import AccessEvent, Interview
from connector.review import invitations
from tests.review.conftest import (  # noqa: F401  (fixtures shared with these tests)
    add_user,
    candidate,
    completed,
    invited,
    score_form,
    sign_in,
)

COLUMNS = [c.name for c in AccessEvent.__table__.columns]


def log_lines(services) -> list[dict]:
    """Every line of every organization, each with all its columns, oldest first."""
    with services.db.session() as db:
        return [{name: getattr(line, name) for name in COLUMNS}
                for line in db.scalars(select(AccessEvent).order_by(AccessEvent.id))]


def new_lines(services, before: list[dict]) -> list[dict]:
    """The lines written since `before` was read; the older ones must be unchanged."""
    now = log_lines(services)
    assert now[:len(before)] == before
    return now[len(before):]


@pytest.fixture
def reviewer(app, services, completed):
    """A test client signed in as Ana Lee, a reviewer of Acme."""
    add_user(services, "ana@acme.example", name="Ana Lee")
    client = app.test_client()
    sign_in(client, "ana@acme.example")
    return client


@pytest.fixture
def links(services, completed) -> dict:
    """A share link and a reviewer invitation to the completed interview: tokens and ids."""
    with services.db.session() as db:
        interview = db.scalars(select(Interview)).one()
        link, share_token = accounts.create_share_link(db, services.keyring, interview,
                                                       can_score=False, days=7)
        invitation, _ = invitations.invite(db, services.keyring, interview,
                                           "dana@partner.example", "Dana Scully",
                                           services.settings.public_base_url)
        return {"share_token": share_token, "share_id": link.public_id,
                "invitation_token": services.keyring.decrypt(invitation.token_encrypted),
                "invitation_id": invitation.public_id}


@pytest.fixture
def api_token(services, completed) -> tuple[str, str]:
    """An API token of Acme named CI: the token, and its prefix."""
    with services.db.session() as db:
        row, token = tokens.create_token(db, "Acme", "CI")
        return token, row.prefix
