"""The sandbox board: its columns, its cards, a move, and the signed webhook a move sends."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector import tasks
from connector.models import Installation, Organization, SandboxCard, utcnow

ORGANIZATION = "Sandbox"
INSTALLATION = "Sandbox board"
WEBHOOK_JOB = tasks.SEND_SANDBOX_WEBHOOK
DELETION_JOB = tasks.SEND_SANDBOX_DELETION


@dataclass(frozen=True)
class Column:
    id: str  # the stage id the webhooks carry
    name: str


COLUMNS = (
    Column("applied", "Applied"),
    Column("async_screen", "Async screen"),
    Column("interview", "Interview"),
    Column("offer", "Offer"),
    Column("rejected", "Rejected"),
)
BY_ID = {column.id: column for column in COLUMNS}
TRIGGER = BY_ID["async_screen"]
CLOSED = BY_ID["rejected"]  # moving a card here closes its application


@dataclass(frozen=True)
class Move:
    """A card's move, as its webhook job needs it: the job takes these, not a row."""

    card_id: int
    stage_id: str
    message_id: str  # the webhook-id: the same on every retry of this message
    occurred_at: str

    def args(self) -> tuple:
        return self.card_id, self.stage_id, self.message_id, self.occurred_at


@dataclass(frozen=True)
class Deletion:
    """A candidate deleted from the board, as its webhook job needs it: the card is gone."""

    installation_id: int
    candidate_id: str
    message_id: str
    occurred_at: str

    def args(self) -> tuple:
        return self.installation_id, self.candidate_id, self.message_id, self.occurred_at


def installation_of(session: Session) -> Installation | None:
    """The sandbox's own installation, if `connector sandbox seed` (or serve) made one."""
    return session.scalar(
        select(Installation).join(Organization)
        .where(Organization.name == ORGANIZATION, Installation.ats == "sandbox",
               Installation.name == INSTALLATION))


def cards_by_column(session: Session, installation: Installation) -> dict[str, list[SandboxCard]]:
    columns: dict[str, list[SandboxCard]] = {column.id: [] for column in COLUMNS}
    cards = session.scalars(select(SandboxCard).where(
        SandboxCard.installation_id == installation.id)
        .order_by(SandboxCard.position, SandboxCard.id))
    for card in cards:
        columns.setdefault(card.column, []).append(card)
    return columns


def card_of(session: Session, installation: Installation, card_id: int) -> SandboxCard | None:
    """A card of this installation's board; another board's id is not found."""
    return session.scalar(select(SandboxCard).where(
        SandboxCard.installation_id == installation.id, SandboxCard.id == card_id))


def card_by_application(session: Session, installation: Installation,
                        application_id: str) -> SandboxCard | None:
    return session.scalar(select(SandboxCard).where(
        SandboxCard.installation_id == installation.id,
        SandboxCard.application_id == application_id))


def move(session: Session, card: SandboxCard, column_id: str) -> Move | None:
    """Put the card at the bottom of another column; None when it is already there."""
    if column_id not in BY_ID:
        raise ValueError(f"no column {column_id!r}")
    if card.column == column_id:
        return None
    last = session.scalar(select(func.max(SandboxCard.position)).where(
        SandboxCard.installation_id == card.installation_id, SandboxCard.column == column_id))
    card.column, card.position, card.updated_at = column_id, (last or 0) + 1, utcnow()
    session.flush()
    return Move(card.id, column_id, f"msg_{secrets.token_urlsafe(18)}",
                card.updated_at.isoformat().replace("+00:00", "Z"))


def delete(session: Session, card: SandboxCard) -> Deletion:
    """Delete the candidate's card and its notes, as an ATS deletes a candidate's profile."""
    deletion = Deletion(card.installation_id, card.candidate_id,
                        f"msg_{secrets.token_urlsafe(18)}", _now())
    session.delete(card)
    session.flush()
    return deletion


def deletion_body(candidate_id: str, occurred_at: str) -> bytes:
    """candidate.deleted, with the candidate's id only: the ATS keeps nothing else to send."""
    data = {"candidate": {"id": candidate_id}, "occurred_at": occurred_at}
    return json.dumps({"type": "candidate.deleted", "timestamp": _now(), "data": data}).encode()


def _now() -> str:
    return utcnow().isoformat(timespec="seconds").replace("+00:00", "Z")


def card_url(base_url: str, card: SandboxCard) -> str:
    return f"{base_url}/sandbox/cards/{card.id}"


def webhook_body(card: SandboxCard, stage_id: str, occurred_at: str, base_url: str) -> bytes:
    """The event in Standard Webhooks' recommended shape: {"type", "timestamp", "data"}."""
    column = BY_ID[stage_id]
    kind = "application.closed" if column is CLOSED else "application.stage_changed"
    data = {
        "application": {"id": card.application_id, "url": card_url(base_url, card)},
        "candidate": {"id": card.candidate_id, "first_name": card.first_name,
                      "last_name": card.last_name, "email": card.email},
        "job": {"id": job_id(card.job_title), "title": card.job_title},
        "stage": {"id": column.id, "name": column.name},
        "occurred_at": occurred_at,
    }
    return json.dumps({"type": kind, "timestamp": _now(), "data": data}).encode()


def job_id(title: str) -> str:
    """The sandbox has no jobs table: a job is known by its title, as a slug."""
    return "job-" + (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "untitled")


def score_of(card: SandboxCard) -> str | None:
    """The score the connector wrote, for the card: "4.2 / 5"."""
    score = (card.fields or {}).get("score")
    return None if score is None else f"{float(score):.1f} / 5"
