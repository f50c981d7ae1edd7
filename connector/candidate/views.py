"""GET /interview/<token>: the candidate's landing page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from connector import crypto
from connector.models import InterviewSession, SessionState, utcnow
from connector.notes import deadline_in_words, deadline_iso, zone_of

bp = Blueprint("candidate", __name__)

# A link is 43 URL-safe characters; anything far off that is not worth a database lookup.
MAX_TOKEN_LENGTH = 100


@bp.get("/interview/<token>")
def landing(token: str):
    """Welcome the candidate: who is asking, what to expect, and until when."""
    services = current_app.extensions["connector"]
    if len(token) > MAX_TOKEN_LENGTH:
        return _page("candidate/not_found.html", 404)
    with services.db.session() as session:
        interview = session.scalar(select(InterviewSession).where(
            InterviewSession.token_hash == crypto.hash_token(token)))
        if interview is None:
            return _page("candidate/not_found.html", 404)
        installation = interview.installation
        zone = zone_of(installation)
        context = {
            "company": installation.organization.name,
            "interview": interview,
            "questions": [q for q in interview.template.questions if not q.is_practice],
            "practice": any(q.is_practice for q in interview.template.questions),
            "welcome_text": interview.template.welcome_text,
            "deadline_words": deadline_in_words(interview.deadline_at, zone),
            "deadline_iso": deadline_iso(interview.deadline_at, zone),
        }
        if interview.state is SessionState.CANCELLED:
            return _page("candidate/closed.html", 410, **context)
        if interview.state is SessionState.EXPIRED or interview.deadline_at <= utcnow():
            return _page("candidate/expired.html", 410, **context)
        return _page("candidate/landing.html", 200, **context)


def _page(template: str, status: int, **context):
    """A candidate page that is never cached, indexed, or leaked through the Referer header."""
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'")
    return response
