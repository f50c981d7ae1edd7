"""Who is looking at a session's review page, and whether they may score it.

Three kinds of visitor get in: a signed-in user of the organization that owns the session's
installation, who may score; the holder of a personal reviewer invitation to that very session,
who may score as the invited person; and anyone holding a live share link to it, who may only
watch. Scoring needs an identity (the user or the invitation), never a typed name. Everything
else is "not found" (never "forbidden"), so a visitor cannot even tell that another
organization's session exists.

The review pages call, inside their own database session:

    viewer = require_viewer(session, public_id)                # /review/<public_id>
    viewer = require_viewer(session, share_token=token)        # /review/shared/<token>
    viewer.interview, viewer.can_score, viewer.reviewer_key()

`viewer_for` is the same check without Flask (for jobs, the CLI and tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from connector.accounts import find_share_link
from connector.models import Installation, Interview, Role, ShareLink, SignInState, User
from connector.names import display_name
from connector.review.invitations import find_invitation


@dataclass(frozen=True, eq=False)
class SignedIn(UserMixin):
    """The signed-in user as Flask-Login keeps them: plain values, no database session needed."""

    id: int
    organization_id: int
    organization_name: str
    email: str
    name: str
    role: Role
    session_token: str = ""
    must_change_password: bool = False

    @classmethod
    def of(cls, user: User, state: SignInState | None = None) -> SignedIn:
        return cls(user.id, user.organization_id, user.organization.name, user.email, user.name,
                   user.role, state.session_token if state else "",
                   bool(state and state.temporary_until is not None))

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def get_id(self) -> str:
        """What the session cookie keeps: the id and the session token, which sign-out replaces."""
        return f"{self.id}:{self.session_token}"


@dataclass(frozen=True)
class Viewer:
    """Someone allowed to see one session's review page, and what they may do there."""

    interview: Interview  # attached to the caller's database session
    can_score: bool
    name: str  # the user's or the invited reviewer's name; "" for a share link
    user_id: int | None = None
    share_link_id: int | None = None
    invitation_id: int | None = None
    is_admin: bool = False

    @property
    def via_share_link(self) -> bool:
        return self.share_link_id is not None

    def reviewer_key(self) -> str | None:
        """Scorecard.reviewer_key: one per user or per invitation; None for a share link."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        if self.invitation_id is not None:
            return f"invitation:{self.invitation_id}"
        return None


def interviews_of(organization_id: int) -> Select:
    """SELECT the organization's interview sessions: the base of every review-page query."""
    return (select(Interview).join(Installation)
            .where(Installation.organization_id == organization_id))


def viewer_for(session: Session, interview_ref: str | int | None = None, *,
               user: SignedIn | User | None = None, share_token: str | None = None,
               now: datetime | None = None) -> Viewer | None:
    """Who may see the session (by public id, or id), through their account or a share link.

    With only a share token, the session is the link's own. None means "answer 404".
    """
    if user is not None and interview_ref is not None and getattr(user, "active", True):
        viewer = _user_viewer(session, user, interview_ref)
        if viewer is not None:
            return viewer
    if share_token:
        return _link_viewer(session, share_token, interview_ref, now)
    return None


def require_viewer(session: Session, interview_ref: str | int | None = None,
                   share_token: str | None = None) -> Viewer:
    """viewer_for for the current request: sign-in page when needed, else 404 when refused."""
    from flask import abort
    from flask_login import current_user

    from connector.auth import login_manager

    user = current_user if current_user.is_authenticated else None
    if user is None and not share_token:
        abort(login_manager.unauthorized())  # to /login?next=<this page>
    viewer = viewer_for(session, interview_ref, user=user, share_token=share_token)
    if viewer is None:
        abort(404)
    return viewer


def _user_viewer(session: Session, user: SignedIn | User,
                 interview_ref: str | int) -> Viewer | None:
    query = interviews_of(user.organization_id).where(_matches(interview_ref))
    interview = session.scalar(query)
    if interview is None:
        return None
    return Viewer(interview=interview, can_score=True, name=display_name(user.name) or user.email,
                  user_id=user.id, is_admin=user.role is Role.ADMIN)


def _link_viewer(session: Session, token: str, interview_ref: str | int | None,
                 now: datetime | None) -> Viewer | None:
    link: ShareLink | None = find_share_link(session, token, now)
    if link is not None:
        viewer = Viewer(interview=link.session, can_score=False, name="", share_link_id=link.id)
    else:
        invitation = find_invitation(session, token, now)
        if invitation is None:
            return None
        viewer = Viewer(interview=invitation.session, can_score=True, name=invitation.name,
                        invitation_id=invitation.id)
    if interview_ref is not None and not _is(viewer.interview, interview_ref):
        return None  # a live link, but to another session
    return viewer


def _matches(interview_ref: str | int):
    if isinstance(interview_ref, int):
        return Interview.id == interview_ref
    return Interview.public_id == interview_ref


def _is(interview: Interview, interview_ref: str | int) -> bool:
    if isinstance(interview_ref, int):
        return interview.id == interview_ref
    return interview.public_id == interview_ref
