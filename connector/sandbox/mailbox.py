"""The mailbox: e-mails held because no SMTP_URL is set, for the sandbox organization only."""

from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import select

from connector.models import Email, Organization
from connector.sandbox import board
from connector.sandbox.blueprint import bp, services


def _organization_id(db) -> int:
    """The Sandbox organization's id; 404 when mail really goes out, or nothing is seeded."""
    if services().settings.smtp_url:
        abort(404)
    org_id = db.scalar(select(Organization.id).where(Organization.name == board.ORGANIZATION))
    if org_id is None:
        abort(404)
    return org_id


@bp.get("/mailbox")
def mailbox():
    """Every e-mail of the Sandbox organization, newest first."""
    with services().db.session() as db:
        emails = db.scalars(select(Email).where(Email.organization_id == _organization_id(db))
                            .order_by(Email.created_at.desc(), Email.id.desc())).all()
        return render_template("sandbox/mailbox.html", emails=emails)


@bp.get("/mailbox/<int:email_id>")
def message(email_id: int):
    """One e-mail: its text with links made clickable, and its HTML in a sandboxed frame."""
    with services().db.session() as db:
        email = db.scalar(select(Email).where(Email.id == email_id,
                                              Email.organization_id == _organization_id(db)))
        if email is None:
            abort(404)
        response = render_template("sandbox/message.html", email=email)
    return response, 200, {
        # The message's HTML is shown in a srcdoc frame, which inherits this policy: e-mail
        # HTML is styled inline, and its links open in a new tab (allow-popups), scripts never.
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data: https:; "
                                   "style-src 'self' 'unsafe-inline'; script-src 'self'; "
                                   "frame-ancestors 'none'",
    }
