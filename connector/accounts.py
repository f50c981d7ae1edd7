"""Reviewer and admin accounts, passwords, and share links to one session's review page."""

from __future__ import annotations

import functools
import hmac
import secrets
import threading
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from connector import crypto
from connector.crypto import Keyring
from connector.models import (
    Installation,
    Interview,
    LinkPurpose,
    Organization,
    Role,
    ShareLink,
    SignInState,
    User,
    utcnow,
)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only bounds the work per request
MAX_EMAIL_LENGTH = 320
MAX_NAME_LENGTH = 200
MAX_SHARE_DAYS = 90
MAX_TOKEN_LENGTH = 100  # a share token is 43 characters; longer is not worth a lookup
HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 parameters
# zxcvbn's score runs 0-4; 3 means about 10^8 guesses or more, beyond reach through a throttled
# sign-in form, and slow against a stolen argon2id hash.
MIN_PASSWORD_SCORE = 3
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; the first 72 characters are judged
TEMPORARY_PASSWORD_DAYS = 3
_zxcvbn_lock = threading.Lock()  # zxcvbn keeps the user's own words in a module-level dictionary


class AccessError(ValueError):
    """An account or share-link request that cannot be carried out; the message says why."""


def normalize_email(email: str) -> str:
    """The stored form of an address: trimmed and lower-cased."""
    return (email or "").strip().lower()


def create_user(session: Session, organization_name: str, email: str, password: str,
                role: Role | str, name: str = "") -> User:
    """Create a user (and their organization on first use) with an argon2 password hash."""
    email, name = normalize_email(email), (name or "").strip()
    problems = _email_problems(email) + password_problems(password, email, name,
                                                          organization_name)
    role_value = _role(role, problems)
    if len(name) > MAX_NAME_LENGTH:
        problems.append(f"a name has at most {MAX_NAME_LENGTH} characters")
    if not (organization_name or "").strip():
        problems.append("an organization name is required")
    if problems:
        raise AccessError("; ".join(problems))
    if session.scalar(select(User.id).where(User.email == email)):
        raise AccessError(f"a user with the email {email!r} already exists")
    user = User(organization=_organization(session, organization_name), email=email, name=name,
                password_hash=HASHER.hash(password), role=role_value, active=True)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # created by a concurrent request since the check above
        raise AccessError(f"a user with the email {email!r} already exists") from exc
    return user


def authenticate(session: Session, email: str, password: str,
                 now: datetime | None = None) -> User | None:
    """The active user with this email and password, or None; the time taken does not say which."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        _verify(_dummy_hash(), password)  # as slow as a real check: no hint that the email is free
        return None
    if not _verify(user.password_hash, password) or not user.active:
        return None
    state = session.get(SignInState, user.id)
    if state is not None and state.temporary_until is not None \
            and state.temporary_until <= (now or utcnow()):
        return None  # an admin's temporary password, not replaced in time
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)  # parameters changed since it was stored
    user.last_login_at = now or utcnow()
    return user


def sign_in_state(session: Session, user_id: int) -> SignInState:
    """The user's sign-in state (their session token), made on first use."""
    state = session.get(SignInState, user_id)
    if state is None:
        try:
            with session.begin_nested():
                state = SignInState(user_id=user_id, session_token=crypto.new_token())
                session.add(state)
        except IntegrityError:  # made by a concurrent sign-in since the look-up
            state = session.get(SignInState, user_id)
    return state


def session_matches(state: SignInState, token: str) -> bool:
    return hmac.compare_digest(state.session_token.encode(), token.encode())


def end_sessions(session: Session, user_id: int) -> SignInState:
    """End every session of the user: a new token, which no existing cookie carries."""
    state = sign_in_state(session, user_id)
    state.session_token = crypto.new_token()
    return state


def set_password(session: Session, user: User, password: str,
                 temporary_until: datetime | None = None) -> SignInState:
    """Store a new password and end the user's sessions; the state holds the new token."""
    user.password_hash = HASHER.hash(password)
    state = end_sessions(session, user.id)
    state.temporary_until = temporary_until
    return state


def reset_password(session: Session, user: User, now: datetime | None = None) -> str:
    """An admin's reset: a random temporary password, to be replaced at the next sign-in."""
    password = secrets.token_urlsafe(12)  # 96 random bits, 16 characters
    until = (now or utcnow()) + timedelta(days=TEMPORARY_PASSWORD_DAYS)
    set_password(session, user, password, temporary_until=until)
    return password


def check_password(user: User, password: str) -> bool:
    """Whether the password is the user's current one."""
    return _verify(user.password_hash, password)


def password_problems(password: str, *own_words: str) -> list[str]:
    """Why a new password is refused: too short, too long, or too easy to guess."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return [f"a password needs at least {MIN_PASSWORD_LENGTH} characters"]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"a password has at most {MAX_PASSWORD_LENGTH} characters"]
    words = [w for word in own_words if word for w in (word, *word.replace("@", " ").split())]
    with _zxcvbn_lock:
        verdict = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=words)
    if verdict["score"] >= MIN_PASSWORD_SCORE:
        return []
    advice = " ".join(filter(None, [verdict["feedback"]["warning"],
                                    *verdict["feedback"]["suggestions"]]))
    return ["a password is too easy to guess" + (f": {advice}" if advice else "")]


def create_share_link(session: Session, keyring: Keyring, interview: Interview,
                      can_score: bool, days: int, created_by: User | None = None,
                      now: datetime | None = None,
                      purpose: LinkPurpose = LinkPurpose.MANUAL) -> tuple[ShareLink, str]:
    """A view-only link to the session's review page, and its token; can_score is refused."""
    if can_score:
        raise AccessError("a share link only shows the answers and the scores: to let someone "
                          "score, invite them as a reviewer (`connector sessions "
                          "invite-reviewer`), or give them an account")
    if not isinstance(days, int) or not 1 <= days <= MAX_SHARE_DAYS:
        raise AccessError(f"a share link lasts 1 to {MAX_SHARE_DAYS} days")
    if created_by is not None and created_by.organization_id != _organization_id(interview):
        raise AccessError("a user can only share sessions of their own organization")
    token = crypto.new_token()
    link = ShareLink(
        public_id=crypto.new_public_id("share"), session_id=interview.id,
        token_hash=crypto.hash_token(token), token_encrypted=keyring.encrypt(token),
        purpose=purpose, expires_at=(now or utcnow()) + timedelta(days=days),
        created_by_id=created_by.id if created_by is not None else None)
    session.add(link)
    session.flush()
    return link, token


def find_share_link(session: Session, token: str, now: datetime | None = None) -> ShareLink | None:
    """The live share link behind a token: None when unknown, expired or revoked."""
    return find_live(session, ShareLink, token, now)


def revoke_share_link(session: Session, public_id: str, organization_id: int | None = None,
                      now: datetime | None = None) -> ShareLink:
    """Stop a share link from working; with organization_id, only one of that organization's."""
    return revoke_link(session, ShareLink, "share link", public_id, organization_id, now)


def find_live(session: Session, model, token: str, now: datetime | None = None):
    """The live row of a link model (share link, reviewer invitation) behind a token, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = session.scalar(select(model).where(model.token_hash == crypto.hash_token(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= (now or utcnow()):
        return None
    return row


def revoke_link(session: Session, model, what: str, public_id: str,
                organization_id: int | None = None, now: datetime | None = None):
    """Stop a link's row from working; with organization_id, only one of that organization's."""
    query = select(model).where(model.public_id == public_id)
    if organization_id is not None:
        query = query.join(Interview).join(Installation).where(
            Installation.organization_id == organization_id)
    row = session.scalar(query)
    if row is None:
        raise AccessError(f"no {what} {public_id!r}")
    if row.revoked_at is None:  # revoking twice keeps the first time
        row.revoked_at = now or utcnow()
    return row


def share_link_token(keyring: Keyring, link: ShareLink) -> str:
    """The link's token again, to put the same URL into an ATS note."""
    return keyring.decrypt(link.token_encrypted)


def share_link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/review/shared/{token}"


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """A hash with the current parameters, of a password nobody knows."""
    return HASHER.hash(secrets.token_urlsafe(24))


def _email_problems(email: str) -> list[str]:
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in email):
        return ["a valid email address is required"]
    if len(email) > MAX_EMAIL_LENGTH:
        return [f"an email address has at most {MAX_EMAIL_LENGTH} characters"]
    return []


def _role(role: Role | str, problems: list[str]) -> Role | None:
    try:
        return Role(role)
    except ValueError:
        problems.append(f"role must be one of {', '.join(r.value for r in Role)}")
        return None


def _organization(session: Session, name: str) -> Organization:
    name = name.strip()
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        org = Organization(name=name)
        session.add(org)
        session.flush()
    return org


def _organization_id(interview: Interview) -> int:
    return interview.installation.organization_id
