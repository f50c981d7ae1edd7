"""The candidate's pages: welcome and consent, the interview room, and the thank-you page."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from adapters.events import Outcome
from connector import crypto, notes, plan, tasks
from connector.auth import limiter
from connector.candidate import branding
from connector.candidate.limits import ACCOMMODATION_LIMIT, link_key
from connector.interviews import add_once
from connector.models import Interview, Push, InterviewState, utcnow
from connector.privacy.notice import notice_of

bp = Blueprint("candidate", __name__)

# A link is 43 URL-safe characters; anything far off that is not worth a database lookup.
MAX_TOKEN_LENGTH = 100
MAX_ACCOMMODATION_CHARS = 2000
DEFAULT_CONSENT_VERSION = "builtin-1"
DEFAULT_CONSENT = (
    "I agree that {company} records my answers (video, audio or text) and shares them with "
    "the people hiring for this role, who keep them only as long as the hiring process needs "
    "them. I can ask {company} to delete them at any time."
)


def find_interview(session, token: str) -> Interview | None:
    """The interview behind a personal link; the link's token is stored only as a hash."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalar(select(Interview).where(
        Interview.token_hash == crypto.hash_token(token)))


def consent_of(interview: Interview) -> tuple[str, str]:
    """What the candidate agreed to; else the template's, the installation's or the built-in text.

    Like the installation's, the template's consent is read when the page is shown (sessions
    pin their questions, not their consent); the version shown is the version recorded.
    """
    if interview.consented_at is not None and interview.consent_text:
        return interview.consent_text, interview.consent_version or "1"
    template = interview.template
    if template.consent_text:
        return template.consent_text, template.consent_version or "1"
    installation = interview.installation
    company = installation.organization.name
    if installation.consent_text:
        return installation.consent_text, installation.consent_version or "1"
    return DEFAULT_CONSENT.format(company=company), DEFAULT_CONSENT_VERSION


def page_context(interview: Interview) -> dict:
    installation = interview.installation
    zone = notes.zone_of(installation)
    questions = [dict(q, **vars(plan.limits(interview, q)))
                 for q in interview.plan if not q["is_practice"]]
    consent_text, consent_version = consent_of(interview)
    return {
        "company": installation.organization.name,
        "logo_url": interview.template.logo_url or installation.organization.logo_url,
        "brand_digits": branding.brand_digits(interview.template.brand_color),
        "interview": interview,
        "questions": questions,
        "practice": any(q["is_practice"] for q in interview.plan),
        "welcome_text": interview.template.welcome_text,
        "welcome_video_url": interview.template.welcome_video_url,
        "deadline_words": notes.deadline_in_words(interview.deadline_at, zone),
        "deadline_iso": notes.deadline_iso(interview.deadline_at, zone),
        **notes.start_by(interview, zone),
        "consent_text": consent_text,
        "consent_version": consent_version,
        "notice": notice_of(interview),
    }


@bp.get("/interview/<token>")
def landing(token: str):
    """Welcome the candidate: who is asking, what to expect, until when, and consent."""
    with _services().db.session() as session:
        interview = find_interview(session, token)
        instead = _page_instead(interview, token)
        if instead is not None:
            return instead
        if interview.state is InterviewState.COMPLETED:
            return redirect(url_for("candidate.done", token=token))
        return page("candidate/landing.html", 200, token=token,
                    asked=request.args.get("asked") == "1", **page_context(interview))


@bp.post("/interview/<token>/consent")
def consent(token: str):
    """Record what the candidate agreed to and when, then open the interview room."""
    with _services().db.session() as session:
        interview = _open_interview(session, token)
        if request.form.get("agree") != "yes":
            return page("candidate/landing.html", 422, token=token, consent_error=True,
                        **page_context(interview))
        if interview.consented_at is None:
            text, version = consent_of(interview)
            if request.form.get("consent_version", version) != version:  # changed since shown
                return page("candidate/landing.html", 409, token=token, consent_changed=True,
                            **page_context(interview))
            now = utcnow()
            interview.consent_text, interview.consent_version = text, version
            interview.consented_at, interview.started_at = now, now
            interview.state = InterviewState.STARTED
    return redirect(url_for("candidate.room", token=token), 303)


@bp.post("/interview/<token>/accommodation")
@limiter.limit(ACCOMMODATION_LIMIT, key_func=link_key)
def accommodation(token: str):
    """Pass a candidate's request for an adjustment to the recruiter, through the ATS."""
    services = _services()
    text = (request.form.get("request") or "").strip()[:MAX_ACCOMMODATION_CHARS]
    with services.db.session() as session:
        interview = _open_interview(session, token)
        if not text:
            return page("candidate/landing.html", 422, token=token, accommodation_error=True,
                        **page_context(interview))
        interview.accommodation_request, interview.accommodation_requested_at = text, utcnow()
        push = add_once(session, accommodation_note(interview))
        push_id = push.id if push else None
    if push_id:
        services.queue.enqueue(tasks.DELIVER_PUSH, push_id)
    return redirect(url_for("candidate.landing", token=token, asked=1), 303)


@bp.get("/interview/<token>/room")
def room(token: str):
    """The interview itself: device check, practice, then each question."""
    with _services().db.session() as session:
        interview = find_interview(session, token)
        instead = _page_instead(interview, token)
        if instead is not None:
            return instead
        if interview.consented_at is None or interview.state is InterviewState.COMPLETED:
            return redirect(url_for("candidate.landing", token=token))
        return page("candidate/room.html", 200, token=token, **page_context(interview))


@bp.get("/interview/<token>/done")
def done(token: str):
    with _services().db.session() as session:
        interview = find_interview(session, token)
        if interview is None:
            return page("candidate/not_found.html", 404)
        if interview.state is not InterviewState.COMPLETED:
            return redirect(url_for("candidate.landing", token=token))
        return page("candidate/done.html", 200, token=token, **page_context(interview))


@bp.get("/interview/<token>/brand.css")
def brand(token: str):
    """The template's brand colour as a stylesheet (the pages' CSP allows no inline style)."""
    with _services().db.session() as session:
        interview = find_interview(session, token)
        digits = branding.brand_digits(interview.template.brand_color) if interview else None
    if digits is None:
        abort(404)
    response = current_app.response_class(branding.brand_css(digits), mimetype="text/css")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.errorhandler(429)
def too_many(_exc):
    """Said in words on the candidate's own page, not as a bare error."""
    return page("candidate/throttled.html", 429)


def accommodation_note(interview: Interview) -> Push:
    """The recruiter's note: the candidate asked for an adjustment, in their own words."""
    marker = f"[interview {interview.public_id} accommodation]"
    text = (f"The candidate asked for an accommodation for the async video interview:\n"
            f"\"{interview.accommodation_request}\"\n"
            f"Extend the deadline or the answer times in the connector if needed.\n{marker}")
    outcome = Outcome("accommodation", interview.ats_application_id, interview.ats_candidate_id,
                      text, marker)
    stamp = interview.accommodation_requested_at.isoformat()
    return Push(installation_id=interview.installation_id, session_id=interview.id,
                kind=outcome.kind, dedupe_key=f"accommodation:{interview.public_id}:{stamp}",
                payload=asdict(outcome))


def _open_interview(session, token: str) -> Interview:
    interview = find_interview(session, token)
    if interview is None:
        abort(404)
    if interview.state in (InterviewState.EXPIRED, InterviewState.CANCELLED, InterviewState.COMPLETED) \
            or interview.deadline_at <= utcnow():
        abort(410)
    return interview


def _page_instead(interview: Interview | None, token: str):
    """The page to show when the link is unknown or the interview is closed; else None."""
    if interview is None:
        return page("candidate/not_found.html", 404)
    return _closed_page(interview, token)


def _closed_page(interview: Interview, token: str):
    if interview.state is InterviewState.CANCELLED:
        return page("candidate/closed.html", 410, token=token, **page_context(interview))
    if interview.state is InterviewState.EXPIRED or (
            plan.closes_at(interview) <= utcnow()
            and interview.state is not InterviewState.COMPLETED):
        return page("candidate/expired.html", 410, token=token, **page_context(interview))
    return None


def _services():
    return current_app.extensions["connector"]


def page(template: str, status: int, **context):
    """A candidate page that is never cached, indexed, or leaked through the Referer header."""
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: https:; media-src 'self' blob: https:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'")
    response.headers["Permissions-Policy"] = "camera=(self), microphone=(self)"
    return response
