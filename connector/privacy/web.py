"""The access log from a web request: who is asking (user, link, token) and from where.

Every view that shows a recording, a review page or scores, or hands out a download or an
export, adds its line with one call inside its own database session, which commits it with the
view's answer (nothing is logged for a request that fails):

    log_access(db, Access.REVIEW_VIEWED, interview, viewer=viewer)      # review pages
    log_access(db, Access.SCORECARD_VIEWED, interview)                  # API: the token
    log_access(db, Access.EXPORTED, interview, actor=Actor.CANDIDATE)   # the candidate's own link
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import select

from connector.auth import client_address
from connector.auth.access import Viewer
from connector.models import (
    Access,
    AccessEvent,
    Actor,
    ApiToken,
    Interview,
    ReviewerInvitation,
    ShareLink,
    utcnow,
)
from connector.names import display_name
from connector.privacy import access

# A player fetches one recording in many requests (a probe, then ranges as it plays and seeks);
# the same person opening the same recording again within this window is the same view.
SAME_VIEW = timedelta(minutes=1)


@dataclass(frozen=True)
class Requester:
    """Who the access log names for this request."""

    actor: Actor
    actor_id: str = ""
    actor_label: str = ""


def log_access(db, action: Access, interview: Interview | None = None, *,
               viewer: Viewer | None = None, actor: Actor | None = None, detail: str = "",
               organization_id: int | None = None) -> AccessEvent:
    """Append one line for this request: who (from `actor`, `viewer`, the API token or the
    signed-in user, in that order), what, on which interview, and the client's address."""
    who = (Requester(actor) if actor is not None
           else requester_of(db, viewer) if viewer is not None else _request_requester(db))
    if organization_id is None:
        organization_id = (interview.installation.organization_id if interview is not None
                           else _request_organization_id())
    return access.record(db, organization_id, action, who.actor, who.actor_id,
                         who.actor_label, interview=interview.public_id if interview else None,
                         detail=detail, address=client_address() if has_request_context()
                         else None)


def log_recording(db, action: Access, interview: Interview, position: int, viewer: Viewer,
                  range_header: str | None) -> AccessEvent | None:
    """One line per view of a recording, not per HTTP range request of it.

    A request for a later range continues a view already logged and is never written; one
    from byte 0 (or without Range) starts a view unless the same person started one of the same
    recording within SAME_VIEW (Safari probes `bytes=0-1`, then asks `bytes=0-`; a redirect to
    S3 brings the player back here for every range).
    """
    if range_header and not range_header.replace(" ", "").startswith("bytes=0-"):
        return None
    who, detail = requester_of(db, viewer), f"question {position}"
    recent = db.scalar(select(AccessEvent.id).where(
        AccessEvent.organization_id == interview.installation.organization_id,
        AccessEvent.at >= utcnow() - SAME_VIEW, AccessEvent.interview == interview.public_id,
        AccessEvent.action == action, AccessEvent.actor == who.actor,
        AccessEvent.actor_id == who.actor_id, AccessEvent.detail == detail).limit(1))
    if recent is not None:
        return None
    return log_access(db, action, interview, viewer=viewer, detail=detail)


def requester_of(db, viewer: Viewer) -> Requester:
    """A review page's visitor: the signed-in user, the invited reviewer, or the share link."""
    if viewer.user_id is not None:
        return Requester(Actor.USER, str(viewer.user_id), viewer.name)
    if viewer.invitation_id is not None:
        invitation = db.get(ReviewerInvitation, viewer.invitation_id)
        return Requester(Actor.INVITATION, invitation.public_id, display_name(invitation.name))
    return Requester(Actor.SHARE_LINK, db.get(ShareLink, viewer.share_link_id).public_id)


def _request_requester(db) -> Requester:
    token_id = g.get("api_token_id")
    if token_id is not None:
        token = db.get(ApiToken, token_id)
        return Requester(Actor.API_TOKEN, token.prefix, token.name)
    if current_user.is_authenticated:
        return Requester(Actor.USER, str(current_user.id),
                         display_name(current_user.name) or current_user.email)
    raise LookupError("no one to name: pass viewer= or actor=")


def _request_organization_id() -> int:
    if g.get("api_organization_id") is not None:
        return g.api_organization_id
    return current_user.organization_id
