"""API tokens: made once and shown once, stored as SHA-256, found by hash, revocable."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from connector import organizations
from connector.crypto import hash_token
from connector.models import ApiToken, Organization, utcnow

TOKEN_PREFIX = "cnk_"
TOKEN_BYTES = 32  # 256 bits of randomness
PREFIX_LENGTH = 12  # "cnk_" and 8 characters: enough to tell tokens apart in a list
MAX_TOKEN_LENGTH = 100  # a token is 47 characters; longer is not worth a lookup
MAX_NAME_LENGTH = 200
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token request that cannot be carried out; the message says why."""


def create_token(session: Session, organization_name: str, name: str = "") -> tuple[ApiToken, str]:
    """A new token for an existing organization; returns the row and the token (shown once)."""
    name = (name or "").strip()
    if len(name) > MAX_NAME_LENGTH:
        raise TokenError(f"a token name has at most {MAX_NAME_LENGTH} characters")
    organization = organization_named(session, organization_name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken(organization_id=organization.id, name=name, prefix=token[:PREFIX_LENGTH],
                   token_hash=hash_token(token))
    session.add(row)
    session.flush()
    return row, token


def organization_named(session: Session, reference: str) -> Organization:
    """The organization by its id (org_...) or unambiguous, unchanged name; else TokenError."""
    try:
        return organizations.find(session, reference)
    except organizations.OrganizationError as exc:
        raise TokenError(str(exc)) from exc


def find_token(session: Session, token: str) -> ApiToken | None:
    """The live token row for a presented token; None when unknown, malformed or revoked.

    The lookup is by the SHA-256 of the token, so the time a comparison takes tells nothing
    about the stored token; the final compare_digest keeps it so should the query change.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX):
        return None
    digest = hash_token(token)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest) \
            or row.revoked_at is not None:
        return None
    return row


def touch(session: Session, row: ApiToken, now: datetime | None = None) -> None:
    """Record use, at most once a minute (a conditional UPDATE: no write on most requests)."""
    now = now or utcnow()
    if row.last_used_at is not None and now - row.last_used_at < TOUCH_EVERY:
        return
    session.execute(update(ApiToken).where(
        ApiToken.id == row.id,
        or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_EVERY),
    ).values(last_used_at=now))


def list_tokens(session: Session, organization_name: str) -> list[ApiToken]:
    organization = organization_named(session, organization_name)
    return list(session.scalars(select(ApiToken).where(
        ApiToken.organization_id == organization.id).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int, now: datetime | None = None) -> ApiToken:
    """Stop a token from working at once; revoking twice keeps the first time."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise TokenError(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
    return row


def describe(row: ApiToken) -> dict:
    """A token as listed: never its hash, let alone the token."""
    def iso(moment):
        return moment.isoformat() if moment else None

    return {"id": row.id, "name": row.name, "prefix": row.prefix,
            "created_at": iso(row.created_at), "last_used_at": iso(row.last_used_at),
            "revoked_at": iso(row.revoked_at)}
