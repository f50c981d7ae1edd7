"""Reviewers' scorecards and ratings, view-only share links, and personal reviewer invitations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector.models.base import Base, UTCDateTime, string_enum, utcnow
from connector.models.interviews import Interview


class LinkPurpose(enum.StrEnum):
    MANUAL = "manual"  # made by a person, for whoever they give it to
    NOTE = "note"  # made by the connector for the notes it writes into the ATS


class Recommendation(enum.StrEnum):
    STRONG_NO = "strong_no"
    NO = "no"
    YES = "yes"
    STRONG_YES = "strong_yes"


class ShareLink(Base):
    """An expiring, revocable link that shows one session's answers and aggregate, never scores."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_encrypted: Mapped[str] = mapped_column(Text)  # to put the same link in ATS notes
    purpose: Mapped[LinkPurpose] = mapped_column(
        string_enum(LinkPurpose), default=LinkPurpose.MANUAL)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[Interview] = relationship()


class ReviewerInvitation(Base):
    """A personal link for one e-mail address to review and score one session.

    The link is e-mailed to that address and identifies its holder: one scorecard per
    invitation. Inviting the address again gives it a new link (the old one stops working).
    """

    __tablename__ = "reviewer_invitations"
    __table_args__ = (UniqueConstraint("session_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_sessions.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_encrypted: Mapped[str] = mapped_column(Text)  # filled into the e-mail when it is sent
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[Interview] = relationship()


class Scorecard(Base):
    """One reviewer's independent scores for one session: one per signed-in user or invitation."""

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("session_id", "reviewer_key"),
                      UniqueConstraint("session_id", "user_id"),
                      UniqueConstraint("session_id", "invitation_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_sessions.id"), index=True)
    # "user:<id>" or "invitation:<id>"; "link:<share link id>:<name>" on scorecards from before
    # scoring needed an identity, which count nowhere
    reviewer_key: Mapped[str] = mapped_column(String(300))
    reviewer_name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("reviewer_invitations.id"))
    share_link_id: Mapped[int | None] = mapped_column(ForeignKey("share_links.id"))
    recommendation: Mapped[Recommendation | None] = mapped_column(string_enum(Recommendation))
    comments: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ratings: Mapped[list[Rating]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan", order_by="Rating.id")


class Rating(Base):
    """A 1-to-5 rating of a competency (by its index in the rubric) or a question (by position)."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("scorecard_id", "target", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"),
                                              index=True)
    target: Mapped[str] = mapped_column(String(20))  # "competency" or "question"
    key: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(Integer)

    scorecard: Mapped[Scorecard] = relationship(back_populates="ratings")
