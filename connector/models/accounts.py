"""API tokens, sign-in state and throttling, and the built-in sandbox ATS's board and notes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector.models import Base, Installation, Organization, UTCDateTime, utcnow


class ApiToken(Base):
    """A bearer token for /api/v1; only its SHA-256 is kept, with a prefix to recognise it by."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship()


class SignInState(Base):
    """A user's sign-in state: the token each of their sessions carries, and a forced reset."""

    __tablename__ = "sign_in_states"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # Replaced on sign-out, password change, deactivation and reset: older sessions stop working.
    session_token: Mapped[str] = mapped_column(String(64))
    # Set by an admin's reset: the password is temporary, works until then, and must be changed.
    temporary_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RateLimitHit(Base):
    """One counted sign-in attempt, for throttling when there is no Redis to count in."""

    __tablename__ = "rate_limit_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    at: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch


class SandboxCard(Base):
    """One candidate's application on the sandbox board, in one column."""

    __tablename__ = "sandbox_cards"
    __table_args__ = (UniqueConstraint("installation_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"), index=True)
    application_id: Mapped[str] = mapped_column(String(40))
    candidate_id: Mapped[str] = mapped_column(String(40))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320))
    job_title: Mapped[str] = mapped_column(String(300))
    column: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Custom fields the connector wrote back (the score, the recommendation).
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    installation: Mapped[Installation] = relationship()
    notes: Mapped[list[SandboxNote]] = relationship(
        back_populates="card", order_by="SandboxNote.id", cascade="all, delete-orphan")


class SandboxNote(Base):
    """A note the connector pushed to a sandbox card, as the sandbox's API received it."""

    __tablename__ = "sandbox_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("sandbox_cards.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    card: Mapped[SandboxCard] = relationship(back_populates="notes")
