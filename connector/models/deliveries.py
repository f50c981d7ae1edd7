"""What crosses to and from an ATS and candidates: webhook deliveries in, pushes and e-mails out."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from connector.models.base import Base, UTCDateTime, string_enum, utcnow
from connector.outbox.links import without_link


class DeliveryStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


# The outcome of a delivery that is no event the connector acts on (a ping, an unknown action).
NOT_ACTIONABLE = "not_actionable"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    HELD = "held"
    FAILED = "failed"


class WebhookDelivery(Base):
    """The inbox: every verified delivery, stored before it is answered."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("installation_id", "delivery_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"), index=True)
    delivery_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    event: Mapped[dict | None] = mapped_column(JSON)  # the job's parse, for display only
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSON)  # those the adapter reads besides the body
    status: Mapped[DeliveryStatus] = mapped_column(
        string_enum(DeliveryStatus), default=DeliveryStatus.RECEIVED, index=True)
    outcome: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def replayable(self) -> bool:
        """An event the connector acts on, whose body is still kept (not erased or expired)."""
        return self.outcome != NOT_ACTIONABLE and bool(self.body)


class OutboxRow:
    """What every outbox row carries: its state, its attempts, and when to try again."""

    status: Mapped[OutboxStatus] = mapped_column(
        string_enum(OutboxStatus), default=OutboxStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class Push(OutboxRow, Base):
    """The outbox: one write to an ATS, with its attempts and last error."""

    __tablename__ = "pushes"
    __table_args__ = (UniqueConstraint("installation_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("interview_sessions.id"))
    kind: Mapped[str] = mapped_column(String(50))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSON)
    external_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Email(OutboxRow, Base):
    """The e-mail outbox: one row per message, keyed so a retry never sends twice."""

    __tablename__ = "emails"
    __table_args__ = (UniqueConstraint("organization_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("interview_sessions.id"))
    kind: Mapped[str] = mapped_column(String(50))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


@event.listens_for(Email, "before_insert")
def _store_without_link(mapper, connection, email: Email) -> None:
    """An e-mail is stored without its candidate's link token, which is filled in to send it."""
    email.text_body, email.html_body = without_link(email.text_body), without_link(email.html_body)
