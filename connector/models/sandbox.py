"""The built-in sandbox ATS: its board's cards, and the notes the connector pushed to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector.models.base import Base, UTCDateTime, utcnow
from connector.models.organizations import Installation


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
