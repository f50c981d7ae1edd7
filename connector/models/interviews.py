"""Interview templates and their questions, candidates' sessions, and their answers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector.models.base import Base, UTCDateTime, string_enum, utcnow
from connector.models.organizations import Installation


class InterviewState(enum.StrEnum):
    INVITED = "invited"
    STARTED = "started"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


OPEN_STATES = (InterviewState.INVITED, InterviewState.STARTED)
# Decided, expired or cancelled: an interview's retention period runs from its settled_at.
SETTLED_STATES = (InterviewState.COMPLETED, InterviewState.EXPIRED, InterviewState.CANCELLED)


class AnswerKind(enum.StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"


class AnswerStatus(enum.StrEnum):
    RECORDING = "recording"
    SUBMITTED = "submitted"


class InterviewTemplate(Base):
    """A question set; organization_id is NULL for the built-in default."""

    __tablename__ = "interview_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_hours: Mapped[int] = mapped_column(Integer, default=72)
    reminder_hours: Mapped[int] = mapped_column(Integer, default=24)
    welcome_text: Mapped[str] = mapped_column(Text, default="")
    welcome_video_url: Mapped[str | None] = mapped_column(String(500))
    # Competencies, each rated 1 to 5: [{"name": ..., "anchors": [five descriptions]}, ...]
    rubric: Mapped[list] = mapped_column(JSON, default=list)
    # Branding and consent; None falls back to the organization's logo, the default colour and
    # the installation's (or the built-in) consent policy.
    logo_url: Mapped[str | None] = mapped_column(String(500))
    brand_color: Mapped[str | None] = mapped_column(String(7))  # "#RRGGBB"
    consent_text: Mapped[str | None] = mapped_column(Text)
    consent_version: Mapped[str | None] = mapped_column(String(50))
    retention_days: Mapped[int | None] = mapped_column(Integer)  # None: the organization's
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="template", order_by="Question.position", cascade="all, delete-orphan")


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("template_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("interview_templates.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    prompt: Mapped[str] = mapped_column(Text)
    prep_seconds: Mapped[int] = mapped_column(Integer, default=30)
    answer_seconds: Mapped[int] = mapped_column(Integer, default=120)
    retakes: Mapped[int] = mapped_column(Integer, default=1)
    answer_kind: Mapped[AnswerKind] = mapped_column(
        string_enum(AnswerKind), default=AnswerKind.VIDEO)
    max_characters: Mapped[int | None] = mapped_column(Integer)
    is_practice: Mapped[bool] = mapped_column(Boolean, default=False)

    template: Mapped[InterviewTemplate] = relationship(back_populates="questions")


class Interview(Base):
    """One candidate's interview; at most one per (installation, application, stage entry)."""

    __tablename__ = "interview_sessions"
    __table_args__ = (
        UniqueConstraint("installation_id", "ats_application_id", "stage_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("interview_templates.id"))
    ats_application_id: Mapped[str] = mapped_column(String(100))
    ats_candidate_id: Mapped[str] = mapped_column(String(100))
    stage_entry: Mapped[str] = mapped_column(String(200))
    candidate_name: Mapped[str] = mapped_column(String(300))
    candidate_email: Mapped[str] = mapped_column(String(320))
    job_title: Mapped[str] = mapped_column(String(300))
    state: Mapped[InterviewState] = mapped_column(
        string_enum(InterviewState), default=InterviewState.INVITED)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_encrypted: Mapped[str] = mapped_column(Text)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The questions as they stood when the session was created: editing the template later
    # never changes an interview in flight.
    plan: Mapped[list] = mapped_column(JSON, default=list)
    template_version: Mapped[int] = mapped_column(Integer, default=1)
    rubric: Mapped[list] = mapped_column(JSON, default=list)  # pinned with the plan
    reminder_hours: Mapped[int] = mapped_column(Integer, default=24)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_version: Mapped[str | None] = mapped_column(String(50))
    consent_text: Mapped[str | None] = mapped_column(Text)
    accommodation_request: Mapped[str | None] = mapped_column(Text)
    accommodation_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    time_factor: Mapped[float] = mapped_column(Float, default=1.0)  # an accommodation's extra time
    extra_retakes: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Privacy: when the interview was last decided, expired or cancelled (its retention period
    # counts from here); when a candidate's confirmed erasure request falls due; when it was
    # erased, leaving this row as an anonymous record (template, dates, scores, state).
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    erasure_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    installation: Mapped[Installation] = relationship()
    template: Mapped[InterviewTemplate] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="session", order_by="Answer.position", cascade="all, delete-orphan")


class Answer(Base):
    """A candidate's answer to one question of the session's plan: its current take and file."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_sessions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[AnswerKind] = mapped_column(string_enum(AnswerKind))
    status: Mapped[AnswerStatus] = mapped_column(
        string_enum(AnswerStatus), default=AnswerStatus.RECORDING)
    take: Mapped[int] = mapped_column(Integer, default=1)
    retakes_used: Mapped[int] = mapped_column(Integer, default=0)
    # A take the candidate stopped (rather than one cut off by a reload or a crash): recording
    # again after it uses a retake; after an interrupted take it uses one of a few restarts.
    take_finished: Mapped[bool] = mapped_column(Boolean, default=False)
    restarts_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the current take (or a written answer) began: one begun before the deadline may
    # still be finished and submitted within its grace.
    take_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    writer_hash: Mapped[str | None] = mapped_column(String(64))  # the tab allowed to write
    writer_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    container: Mapped[str | None] = mapped_column(String(10))  # "webm" or "mp4"
    mime_type: Mapped[str | None] = mapped_column(String(100))
    storage_key: Mapped[str | None] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    # A copy every browser can seek in (remuxed or transcoded by ffmpeg when it is installed).
    playback_key: Mapped[str | None] = mapped_column(String(300))
    playback_mime: Mapped[str | None] = mapped_column(String(100))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[Interview] = relationship(back_populates="answers")


class AnswerChunk(Base):
    """One uploaded piece of a take, by index: a repeat of the same bytes is a no-op."""

    __tablename__ = "answer_chunks"
    __table_args__ = (UniqueConstraint("answer_id", "take", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"),
                                           index=True)
    take: Mapped[int] = mapped_column(Integer)
    index: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
