"""The review page: every answer playable and seekable, the rubric, and independent scorecards.

Reached by a signed-in reviewer of the session's organization (/review/sessions/<id>), or by
anyone holding a valid share link (/review/shared/<token>), which may or may not allow scoring.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import login_required
from sqlalchemy import select

from connector import notes
from connector.auth.access import clean_name, require_viewer
from connector.models import Answer, AnswerStatus, InterviewSession
from connector.review import results, scoring

bp = Blueprint("review", __name__, url_prefix="/review")
# In the signed session cookie: [share link id, name typed there] pairs, oldest first, so the page
# after scoring shows that reviewer's scorecard without the name travelling in a URL.
TYPED_NAMES, MAX_TYPED_NAMES = "review_names", 20


@bp.get("/sessions/<public_id>")
@login_required
def session_page(public_id: str):
    with _db() as db:
        interview, reviewer = _as_user(db, public_id)
        return _render(db, interview, reviewer, base=url_for(".session_page", public_id=public_id))


@bp.post("/sessions/<public_id>")
@login_required
def session_score(public_id: str):
    with _db() as db:
        interview, reviewer = _as_user(db, public_id)
        return _score(db, interview, reviewer, url_for(".session_page", public_id=public_id))


@bp.get("/shared/<token>")
def shared_page(token: str):
    with _db() as db:
        interview, reviewer = _as_link(db, token, None)
        return _render(db, interview, reviewer, base=url_for(".shared_page", token=token))


@bp.post("/shared/<token>")
def shared_score(token: str):
    with _db() as db:
        interview, reviewer = _as_link(db, token, request.form.get("reviewer_name"))
        _remember_name(reviewer)
        return _score(db, interview, reviewer, url_for(".shared_page", token=token))


@bp.get("/sessions/<public_id>/answers/<int:position>")
@login_required
def session_media(public_id: str, position: int):
    with _db() as db:
        interview, _ = _as_user(db, public_id)
        return _media(db, interview, position)


@bp.get("/shared/<token>/answers/<int:position>")
def shared_media(token: str, position: int):
    with _db() as db:
        interview, _ = _as_link(db, token, None)
        return _media(db, interview, position)


def _as_user(db, public_id: str):
    """The session, if the signed-in user's organization owns it; 404 otherwise."""
    return _reviewer(require_viewer(db, public_id), "")


def _as_link(db, token: str, name: str | None):
    """The share link's session (404 if unknown, expired or revoked); no name: the one kept."""
    viewer = require_viewer(db, share_token=token)
    if name is None:
        name = dict(session.get(TYPED_NAMES, [])).get(viewer.share_link_id, "")
    return _reviewer(viewer, name)


def _remember_name(reviewer: scoring.Reviewer) -> None:
    """Keep the name typed on this share link for the pages that follow (the newest 20 links)."""
    if not reviewer.name:
        return
    pairs = [p for p in session.get(TYPED_NAMES, []) if p[0] != reviewer.share_link_id]
    session[TYPED_NAMES] = [*pairs, [reviewer.share_link_id, reviewer.name]][-MAX_TYPED_NAMES:]


def _reviewer(viewer, typed_name: str):
    """The session and who is scoring it: the user, or the name typed on a share link."""
    name = viewer.name if viewer.user_id is not None else clean_name(typed_name)
    return viewer.interview, scoring.Reviewer(
        key=viewer.reviewer_key(typed_name), name=name, user_id=viewer.user_id,
        share_link_id=viewer.share_link_id, can_score=viewer.can_score)


def _render(db, interview: InterviewSession, reviewer: scoring.Reviewer, base: str,
            error: str | None = None, status: int = 200):
    installation = interview.installation
    own = scoring.scorecard_of(db, interview, reviewer) if reviewer.name else None
    others = scoring.visible_cards(db, interview, reviewer) if own else []
    context = {
        "interview": interview,
        "company": installation.organization.name,
        "answers": _answers(interview, base),
        "rubric": interview.rubric,
        "own": own,
        "own_ratings": _ratings_of(own),
        "others": others,
        "summary": scoring.aggregate(interview, sorted([own, *others],
                                                        key=lambda c: c.submitted_at))
        if own and own.submitted_at else None,
        "reviewer": reviewer,
        "shared": reviewer.share_link_id is not None,
        "error": error,
        "words": scoring.RECOMMENDATION_WORDS,
        "completed_words": notes.deadline_in_words(interview.completed_at, notes.zone_of(installation))
        if interview.completed_at else None,
    }
    response = current_app.make_response((render_template("review/session.html", **context),
                                          status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; media-src 'self' https:; img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'")
    return response


def _score(db, interview: InterviewSession, reviewer: scoring.Reviewer, target: str):
    form = request.form
    try:
        card = scoring.save(
            db, interview, reviewer,
            competencies=_picked(form, "competency", len(interview.rubric)),
            questions=_picked(form, "question", max((q["position"] for q in interview.plan),
                                                     default=0) + 1),
            recommendation=form.get("recommendation") or None,
            comments=form.get("comments", ""), submit=form.get("action") == "submit")
    except scoring.ScoringError as exc:
        db.rollback()
        return _render(db, interview, reviewer, target, error=str(exc), status=422)
    push_ids = results.after_scorecard(db, _services(), interview) if card.submitted_at else []
    db.commit()
    for push_id in push_ids:
        _services().queue.enqueue("jobs.pushes.deliver_push", push_id)
    return redirect(target, 303)


def _picked(form, prefix: str, count: int) -> dict[int, int]:
    """Radio groups named competency-0, question-2, ...: the ones answered, as integers."""
    picked = {}
    for key in range(count):
        value = form.get(f"{prefix}-{key}")
        if value:
            if not value.isdigit():
                raise scoring.ScoringError("ratings go from 1 to 5")
            picked[key] = int(value)
    return picked


def _answers(interview: InterviewSession, base: str) -> list[dict]:
    answers = {a.position: a for a in interview.answers if a.status is AnswerStatus.SUBMITTED}
    items = []
    for number, question in enumerate(q for q in interview.plan if not q["is_practice"]):
        answer = answers.get(question["position"])
        items.append({
            "number": number + 1, "question": question, "answer": answer,
            "media_url": f"{base}/answers/{question['position']}"
            if answer and answer.storage_key else None,
            "seconds": round(answer.duration_ms / 1000) if answer and answer.duration_ms else None,
        })
    return items


def _ratings_of(card) -> dict[str, int]:
    return {f"{r.target}-{r.key}": r.value for r in card.ratings} if card else {}


def _media(db, interview: InterviewSession, position: int):
    """The recording, with HTTP range requests so players can seek; S3 answers by redirect."""
    answer = db.scalar(select(Answer).where(Answer.session_id == interview.id,
                                            Answer.position == position,
                                            Answer.status == AnswerStatus.SUBMITTED))
    if answer is None or not answer.storage_key:
        abort(404)
    key = answer.playback_key or answer.storage_key
    mime = answer.playback_mime or _mime(answer)
    storage = _services().storage
    if hasattr(storage, "path"):
        response = send_file(storage.path(key), mimetype=mime, conditional=True,
                             max_age=0, etag=True)
    else:
        response = redirect(storage.download_url(key, 300, mime))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _mime(answer: Answer) -> str:
    kind = "audio" if answer.kind.value == "audio" else "video"
    return f"{kind}/{answer.container or 'webm'}"


def _services():
    return current_app.extensions["connector"]


def _db():
    return _services().db.session()
