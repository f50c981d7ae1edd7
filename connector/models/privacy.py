"""What privacy keeps: the access log, and receipts of erasures kept without personal data."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from connector.crypto import new_public_id
from connector.models.base import Base, UTCDateTime, string_enum, utcnow


class Actor(enum.StrEnum):
    """Who did something: whose id `actor_id` is."""

    USER = "user"
    SHARE_LINK = "share_link"
    INVITATION = "invitation"  # a reviewer's personal link
    API_TOKEN = "api_token"
    CANDIDATE = "candidate"  # the candidate, from their own link
    ATS = "ats"  # the ATS's own deletion event (actor_id: the installation's public id)
    OPERATOR = "operator"  # the command line (actor_id: the operating-system user)
    SYSTEM = "system"  # the retention schedule


class Access(enum.StrEnum):
    """What was done: each kind of access the log records."""

    RECORDING_VIEWED = "recording_viewed"
    REVIEW_VIEWED = "review_viewed"
    SCORECARD_VIEWED = "scorecard_viewed"
    SHARE_LINK_USED = "share_link_used"
    RECORDING_DOWNLOADED = "recording_downloaded"
    EXPORTED = "exported"
    ERASED = "erased"
    PURGED = "purged"


class AccessEvent(Base):
    """One line of the access log: append-only (no route changes one), kept for a set time."""

    __tablename__ = "access_events"
    __table_args__ = (Index("ix_access_events_organization_at", "organization_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[Actor] = mapped_column(string_enum(Actor))
    actor_id: Mapped[str] = mapped_column(String(100), default="")
    # A readable name for who it was (a reviewer's name, a token's name), as it was then.
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[Access] = mapped_column(string_enum(Access))
    # The interview's public id (int_...): a pseudonym, not the person, and gone with them.
    interview: Mapped[str | None] = mapped_column(String(40), index=True)
    detail: Mapped[str] = mapped_column(String(200), default="")  # a question, a receipt id
    address: Mapped[str | None] = mapped_column(String(64))  # the client's IP address


@event.listens_for(AccessEvent, "before_update")
def _append_only(mapper, connection, target) -> None:
    """The log is evidence: a line, once written, is never edited (only aged out in bulk)."""
    raise PermissionError("the access log is append-only")


class ErasureReason(enum.StrEnum):
    ATS_EVENT = "ats_event"  # the ATS deleted or anonymised the candidate
    ADMIN = "admin"
    API = "api"
    OPERATOR = "operator"
    CANDIDATE = "candidate"
    RETENTION = "retention"


class ErasureReceipt(Base):
    """Proof of an erasure: what went, when, by whom and why, without the person's data."""

    __tablename__ = "erasure_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True,
                                           default=lambda: new_public_id("era"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    reason: Mapped[ErasureReason] = mapped_column(string_enum(ErasureReason))
    actor: Mapped[Actor] = mapped_column(string_enum(Actor))
    actor_id: Mapped[str] = mapped_column(String(100), default="")
    # The interviews' new, anonymous public ids, and counts of what went with them.
    interviews: Mapped[list] = mapped_column(JSON, default=list)
    erased: Mapped[dict] = mapped_column(JSON, default=dict)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    interview_count: Mapped[int] = mapped_column(Integer, default=0)
