"""From the review page, an admin invites reviewers (a personal link e-mailed to one address)
and revokes their invitations."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from connector import tasks
from connector.accounts import AccessError
from connector.auth.access import Viewer, require_viewer
from connector.models import ReviewerInvitation, User
from connector.review import invitations
from connector.review.views import _db, bp, render, services

ADMINS_ONLY = "Only an admin of this organization invites reviewers."


@bp.post("/sessions/<public_id>/invitations")
@login_required
def invitation_add(public_id: str):
    """E-mail a personal reviewer link; bad input re-shows the page with the reason (400)."""
    base = url_for(".session_page", public_id=public_id)
    form = {key: request.form.get(key, "")[:400] for key in ("email", "name")}
    with _db() as db:
        viewer = _admin(db, public_id)
        try:
            invitation, email = invitations.invite(
                db, services().keyring, viewer.interview, form["email"], form["name"],
                services().settings.public_base_url, created_by=db.get(User, current_user.id))
        except AccessError as exc:
            db.rollback()
            reason = str(exc)
            return render(db, viewer, base, status=400,
                          invite={"form": form, "error": reason[:1].upper() + reason[1:]})
        sent_to, email_id = invitation.email, email.id
        db.commit()
    services().queue.enqueue(tasks.SEND_EMAIL, email_id)
    flash(f"Invitation e-mailed to {sent_to}.")
    return redirect(base, 303)


@bp.post("/sessions/<public_id>/invitations/<invitation_id>/revoke")
@login_required
def invitation_revoke(public_id: str, invitation_id: str):
    """Stop an invitation's link at once; its submitted scorecard still counts."""
    with _db() as db:
        viewer = _admin(db, public_id)
        invitation = db.scalar(select(ReviewerInvitation).where(
            ReviewerInvitation.public_id == invitation_id,
            ReviewerInvitation.session_id == viewer.interview.id))
        if invitation is None:
            abort(404)
        invitations.revoke(db, invitation.public_id, viewer.interview.installation.organization_id)
        email = invitation.email
        db.commit()
    flash(f"The invitation of {email} was revoked: its link no longer opens this page.")
    return redirect(url_for(".session_page", public_id=public_id), 303)


def _admin(db, public_id: str) -> Viewer:
    """The session, for an admin of its organization: 404 for others, 403 for its reviewers."""
    viewer = require_viewer(db, public_id)
    if not viewer.is_admin:
        abort(403, ADMINS_ONLY)
    return viewer
