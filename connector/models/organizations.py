"""Organizations, their connections to an ATS account, and the stages that start interviews."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector.crypto import new_public_id
from connector.models.base import Base, UTCDateTime, string_enum, utcnow


class InstallationStatus(enum.StrEnum):
    ACTIVE = "active"
    NEEDS_ATTENTION = "needs_attention"


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
    # Privacy: days a settled interview's recordings and personal data are kept, who candidates
    # write to about their data, how long a candidate's confirmed erasure request may wait, and
    # how long the access log is kept.
    retention_days: Mapped[int] = mapped_column(Integer, default=180, server_default="180")
    privacy_contact: Mapped[str | None] = mapped_column(String(320))
    erasure_wait_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    access_log_days: Mapped[int] = mapped_column(Integer, default=730, server_default="730")
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
        string_enum(InstallationStatus), default=InstallationStatus.ACTIVE)
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
