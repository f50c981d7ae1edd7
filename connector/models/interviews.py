"""The system of record: every row belongs to one organization, directly or through its parent."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from connector.crypto import new_public_id
from connector.outbox.links import without_link


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which drops zones) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store the values as plain strings (no native PG enum) so migrations stay simple.
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Base(DeclarativeBase):
    pass


class InstallationStatus(enum.StrEnum):
    ACTIVE = "active"
    NEEDS_ATTENTION = "needs_attention"


class SessionState(enum.StrEnum):
    INVITED = "invited"
    STARTED = "started"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class DeliveryStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    HELD = "held"
    FAILED = "failed"


class AnswerKind(enum.StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"


class AnswerStatus(enum.StrEnum):
    RECORDING = "recording"
    SUBMITTED = "submitted"


class Organization(Base):
    """A customer. Its public id (org_...) never changes; its name is its admin's to change."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True,
                                           default=lambda: new_public_id("org"))
    name: Mapped[str] = mapped_column(String(200), unique=True)
    renamed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    logo_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Installation(Base):
    """One organization's connection to one ATS account."""

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    ats: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    credentials_encrypted: Mapped[str] = mapped_column(Text)
    webhook_secret_encrypted: Mapped[str] = mapped_column(Text)
    # After a rotation the old secret still verifies until this time, so deliveries the ATS
    # signed before its admin pasted the new one are not refused.
    previous_webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    api_base_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[InstallationStatus] = mapped_column(
        _enum(InstallationStatus), default=InstallationStatus.ACTIVE)
    attention_reason: Mapped[str | None] = mapped_column(Text)
    consent_text: Mapped[str | None] = mapped_column(Text)  # None: the built-in policy
    consent_version: Mapped[str | None] = mapped_column(String(50))
    # What goes back to the ATS: note visibility, a custom field for the score, and the stage to
    # move an application to per recommendation ({"strong_yes": "<stage id>", ...}).
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship()
    stage_rules: Mapped[list[StageRule]] = relationship(
        back_populates="installation", order_by="StageRule.id", cascade="all, delete-orphan")


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
    answer_kind: Mapped[AnswerKind] = mapped_column(_enum(AnswerKind), default=AnswerKind.VIDEO)
    max_characters: Mapped[int | None] = mapped_column(Integer)
    is_practice: Mapped[bool] = mapped_column(Boolean, default=False)

    template: Mapped[InterviewTemplate] = relationship(back_populates="questions")


class StageRule(Base):
    """A trigger stage (an ATS stage id or name) mapped to an interview template."""

    __tablename__ = "stage_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"), index=True)
    stage: Mapped[str] = mapped_column(String(200))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("interview_templates.id"))

    installation: Mapped[Installation] = relationship(back_populates="stage_rules")


class ApplicationStage(Base):
    """The last stage seen per ATS application, so a re-entry is told from a repeat report."""

    __tablename__ = "application_stages"
    __table_args__ = (UniqueConstraint("installation_id", "ats_application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"))
    ats_application_id: Mapped[str] = mapped_column(String(100))
    stage_id: Mapped[str] = mapped_column(String(100))
    entry_number: Mapped[int] = mapped_column(Integer, default=1)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InterviewSession(Base):
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
    state: Mapped[SessionState] = mapped_column(_enum(SessionState), default=SessionState.INVITED)
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
    kind: Mapped[AnswerKind] = mapped_column(_enum(AnswerKind))
    status: Mapped[AnswerStatus] = mapped_column(
        _enum(AnswerStatus), default=AnswerStatus.RECORDING)
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

    session: Mapped[InterviewSession] = relationship(back_populates="answers")


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


class WebhookDelivery(Base):
    """The inbox: every verified delivery, stored before it is answered."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("installation_id", "delivery_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"), index=True)
    delivery_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    event: Mapped[dict | None] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus), default=DeliveryStatus.RECEIVED, index=True)
    outcome: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxRow:
    """What every outbox row carries: its state, its attempts, and when to try again."""

    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus), default=OutboxStatus.PENDING, index=True)
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


from connector.review_models import (  # noqa: E402,F401  (registers their tables on Base)
    Rating,
    ReviewerInvitation,
    Scorecard,
    ShareLink,
    User,
)
from connector.admin_models import ApiToken, SandboxCard, SandboxNote  # noqa: E402,F401
