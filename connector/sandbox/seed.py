"""Seeding the sandbox once: its organization, installation, example cards and an admin."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector import accounts
from connector.crypto import Keyring
from connector.installations import create_installation, webhook_url
from connector.models import SandboxCard, User
from connector.sandbox.board import INSTALLATION, ORGANIZATION, TRIGGER, installation_of

ADMIN_EMAIL = "sandbox-admin@example.com"
# What the connector sends back: a "yes" or "strong yes" moves the card on to the next stage.
# The notes' link only watches; the newcomer scores signed in as the printed admin.
OPTIONS = {
    "decision_stages": {"strong_yes": "interview", "yes": "interview"},
}
CARDS = [  # first name, last name, job, column
    ("Ada", "Okafor", "Backend engineer", "applied"),
    ("Ben", "Castillo", "Backend engineer", "applied"),
    ("Chloé", "Martin", "Product designer", "applied"),
    ("Dev", "Patel", "Customer success lead", "applied"),
    ("Erin", "Walsh", "Product designer", "interview"),
    ("Farah", "Haddad", "Backend engineer", "offer"),
]


@dataclass(frozen=True)
class Seeded:
    installation_id: str
    webhook_url: str
    created: bool
    cards_added: int
    admin_email: str
    admin_password: str | None  # only when the admin was created by this call


def seed(session: Session, keyring: Keyring, base_url: str) -> Seeded:
    """Create what is missing; an existing sandbox only follows a changed PUBLIC_BASE_URL."""
    api_base_url = f"{base_url}/sandbox/api"
    installation, created = installation_of(session), False
    if installation is None:
        installation, _ = create_installation(
            session, keyring, ats="sandbox", organization=ORGANIZATION, name=INSTALLATION,
            trigger_stages=[TRIGGER.name], template_id=None, api_base_url=api_base_url,
            credentials={"api_key": secrets.token_urlsafe(32)}, strict_hosts=False)
        installation.options = dict(OPTIONS)
        created = True
    elif installation.api_base_url != api_base_url:
        installation.api_base_url = api_base_url  # served on another port than last time
    added = _cards(session, installation.id)
    password = _admin(session)
    session.flush()
    return Seeded(installation.public_id, webhook_url(base_url, installation), created, added,
                  ADMIN_EMAIL, password)


def _cards(session: Session, installation_id: int) -> int:
    """The example cards, unless the board has any (a newcomer's moves are left alone)."""
    if session.scalar(select(SandboxCard.id).where(
            SandboxCard.installation_id == installation_id).limit(1)):
        return 0
    for number, (first, last, job, column) in enumerate(CARDS, start=1):
        email = f"{first.lower().replace('é', 'e')}.{last.lower()}@example.com"
        session.add(SandboxCard(
            installation_id=installation_id, application_id=f"app-{1000 + number}",
            candidate_id=f"cand-{2000 + number}", first_name=first, last_name=last,
            email=email, job_title=job, column=column, position=number, fields={}))
    return len(CARDS)


def _admin(session: Session) -> str | None:
    """An admin of the Sandbox organization with a generated password, the first time only."""
    if session.scalar(select(User.id).where(User.email == ADMIN_EMAIL)):
        return None
    password = secrets.token_urlsafe(15)  # 20 characters
    accounts.create_user(session, ORGANIZATION, ADMIN_EMAIL, password, "admin",
                         name="Sandbox admin")
    return password


def describe(seeded: Seeded, base_url: str) -> list[str]:
    """What the console says after seeding: where to go, and how to sign in."""
    lines = [f"Sandbox ATS: {base_url}/sandbox (mailbox: {base_url}/sandbox/mailbox)"]
    if seeded.admin_password:
        lines.append(f"Sandbox admin: {seeded.admin_email} / {seeded.admin_password} "
                     f"(sign in at {base_url}/login to score interviews; shown once)")
    else:
        lines.append(f"Sandbox admin: {seeded.admin_email} (password shown when it was created)")
    return lines
