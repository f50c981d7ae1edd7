"""Who signs in and how: users and their roles, sign-in state and throttling, API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector.models.base import Base, UTCDateTime, string_enum, utcnow
from connector.models.organizations import Organization


class Role(enum.StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"


class User(Base):
    """A person who signs in: an admin or a reviewer of one organization."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[Role] = mapped_column(string_enum(Role), default=Role.REVIEWER)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
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
