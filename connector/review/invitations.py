"""Personal reviewer invitations: a link for one e-mail address to watch and score one session.

The link is e-mailed to that address, and holding it identifies the reviewer: their scorecard
is the invitation's. The token has 256 random bits and is stored hashed, with an encrypted
copy that the e-mail job fills into the message; it expires and can be revoked. Inviting the
same address again gives it a new link (the old one stops working) and keeps its scorecard.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector import crypto, notes
from connector.accounts import (
    AccessError,
    find_live,
    normalize_email,
    revoke_link,
    share_link_url,
)
from connector.crypto import Keyring
from connector.models import Email, Interview, ReviewerInvitation, InterviewState, User, utcnow
from connector.names import display_name
from connector.outbox.links import REVIEWER_INVITATION

DEFAULT_DAYS, MAX_DAYS = 14, 90
_templates = Environment(loader=PackageLoader("connector", "templates/email"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True,
                         lstrip_blocks=True)


def invite(db: Session, keyring: Keyring, interview: Interview, email: str, name: str,
           base_url: str, days: int = DEFAULT_DAYS, created_by: User | None = None,
           now: datetime | None = None) -> tuple[ReviewerInvitation, Email]:
    """Invite (or invite again) one address to review the session; the e-mail is queued."""
    address, name = normalize_email(email), display_name(name)
    _check(db, interview, address, name, days, created_by)
    token, now = crypto.new_token(), now or utcnow()
    invitation = db.scalar(select(ReviewerInvitation).where(
        ReviewerInvitation.session_id == interview.id, ReviewerInvitation.email == address)
        .with_for_update()) or ReviewerInvitation(public_id=crypto.new_public_id("rinv"),
                                                  session_id=interview.id, email=address)
    invitation.name, invitation.revoked_at = name, None
    invitation.token_hash, invitation.token_encrypted = (crypto.hash_token(token),
                                                         keyring.encrypt(token))
    invitation.expires_at = now + timedelta(days=days)
    invitation.created_by_id = created_by.id if created_by is not None else None
    try:
        with db.begin_nested():
            db.add(invitation)
    except IntegrityError as exc:  # the same address invited by someone else this moment
        raise AccessError(f"{address} is being invited at this moment; try again") from exc
    message = invitation_email(interview, invitation, share_link_url(base_url, token))
    db.add(message)
    db.flush()
    return invitation, message


def find_invitation(db: Session, token: str,
                    now: datetime | None = None) -> ReviewerInvitation | None:
    """The live invitation behind a token: None when unknown, expired or revoked."""
    return find_live(db, ReviewerInvitation, token, now)


def revoke(db: Session, public_id: str, organization_id: int | None = None,
           now: datetime | None = None) -> ReviewerInvitation:
    """Stop an invitation's link; with organization_id, only one of that organization's."""
    return revoke_link(db, ReviewerInvitation, "reviewer invitation", public_id,
                       organization_id, now)


def of_session(db: Session, interview: Interview) -> list[ReviewerInvitation]:
    return list(db.scalars(select(ReviewerInvitation).where(
        ReviewerInvitation.session_id == interview.id).order_by(ReviewerInvitation.id)))


def describe(invitation: ReviewerInvitation) -> dict:
    return {"id": invitation.public_id, "session_id": invitation.session.public_id,
            "email": invitation.email, "name": invitation.name,
            "expires_at": invitation.expires_at.isoformat(),
            "revoked_at": invitation.revoked_at.isoformat() if invitation.revoked_at else None}


def invitation_email(interview: Interview, invitation: ReviewerInvitation,
                     link: str) -> Email:
    """The reviewer's e-mail: who asks them to review whom, their link, and until when."""
    installation = interview.installation
    context = {"name": invitation.name, "company": installation.organization.name,
               "candidate": (interview.candidate_name or "").strip() or notes.UNNAMED,
               "job": interview.job_title, "link": link,
               "expires_words": notes.deadline_in_words(invitation.expires_at,
                                                        notes.zone_of(installation))}
    return Email(
        organization_id=installation.organization_id, session_id=interview.id,
        kind=REVIEWER_INVITATION, to_address=invitation.email,
        dedupe_key=f"{REVIEWER_INVITATION}:{invitation.public_id}:{invitation.token_hash[:16]}",
        subject=f"Review {context['candidate']}'s video interview for {context['company']}",
        text_body=_templates.get_template(f"{REVIEWER_INVITATION}.txt").render(context),
        html_body=_templates.get_template(f"{REVIEWER_INVITATION}.html").render(context))


def token_for_email(db: Session, email: Email, keyring: Keyring) -> str | None:
    """The current token of the invitation an e-mail carries; None once it was revoked."""
    encrypted = db.scalar(select(ReviewerInvitation.token_encrypted).where(
        ReviewerInvitation.session_id == email.session_id,
        ReviewerInvitation.email == email.to_address,
        ReviewerInvitation.revoked_at.is_(None)))
    return keyring.decrypt(encrypted) if encrypted else None


def _check(db: Session, interview: Interview, address: str, name: str, days: int,
           created_by: User | None) -> None:
    """Refuse what would not make one identifiable reviewer of this session."""
    problems = []
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in address) \
            or len(address) > 320:
        problems.append("a valid email address is required")
    if not name:
        problems.append("the reviewer's name is required (it is shown on their scorecard)")
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        problems.append(f"an invitation lasts 1 to {MAX_DAYS} days")
    if problems:
        raise AccessError("; ".join(problems))
    organization_id = interview.installation.organization_id
    if created_by is not None and created_by.organization_id != organization_id:
        raise AccessError("a user can only invite reviewers to their own organization's sessions")
    if interview.state is InterviewState.CANCELLED:
        raise AccessError(f"session {interview.public_id} was cancelled")
    if db.scalar(select(User.id).where(User.organization_id == organization_id,
                                       User.email == address)):
        raise AccessError(f"the address {address} belongs to an account in this organization: "
                          "they sign in to score, so they need no invitation")
