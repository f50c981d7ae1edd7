"""The review page: every answer playable and seekable, the rubric, and independent scorecards.

Reached by a signed-in reviewer of the session's organization (/review/sessions/<id>), or with a
link (/review/shared/<token>): a personal reviewer invitation, which scores as the invited
person, or a share link, which shows the answers and the scores and never scores.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import login_required
from sqlalchemy import select

from connector import notes, tasks
from connector.auth.access import Viewer, require_viewer
from connector.models import Access, Answer, AnswerStatus, Interview, utcnow
from connector.privacy.web import log_access, log_recording
from connector.review import invitations, results, scoring

bp = Blueprint("review", __name__, url_prefix="/review")
WATCH_ONLY = ("This link lets you watch the answers and see the scores, not score them. To "
              "score, sign in, or ask an admin for a personal reviewer invitation.")


@bp.get("/sessions/<public_id>")
@login_required
def session_page(public_id: str):
    with _db() as db:
        viewer = require_viewer(db, public_id)
        return render(db, viewer, url_for(".session_page", public_id=public_id))


@bp.post("/sessions/<public_id>")
@login_required
def session_score(public_id: str):
    with _db() as db:
        viewer = require_viewer(db, public_id)
        return _score(db, viewer, url_for(".session_page", public_id=public_id))


@bp.get("/shared/<token>")
def shared_page(token: str):
    with _db() as db:
        viewer = require_viewer(db, share_token=token)
        return render(db, viewer, url_for(".shared_page", token=token))


@bp.post("/shared/<token>")
def shared_score(token: str):
    """Score as the invited reviewer; through a share link, 403 and nothing written."""
    with _db() as db:
        viewer = require_viewer(db, share_token=token)
        base = url_for(".shared_page", token=token)
        if not viewer.can_score:
            return render(db, viewer, base, error=WATCH_ONLY, status=403)
        return _score(db, viewer, base)


@bp.get("/sessions/<public_id>/answers/<int:position>")
@login_required
def session_media(public_id: str, position: int):
    with _db() as db:
        return _media(db, require_viewer(db, public_id), position)


@bp.get("/shared/<token>/answers/<int:position>")
def shared_media(token: str, position: int):
    with _db() as db:
        return _media(db, require_viewer(db, share_token=token), position)


def reviewer_of(viewer: Viewer) -> scoring.Reviewer:
    """Who scores: the signed-in user, the invited reviewer, or nobody (a share link)."""
    return scoring.Reviewer(name=viewer.name, user_id=viewer.user_id,
                            invitation_id=viewer.invitation_id)


def render(db, viewer: Viewer, base: str, error: str | None = None, status: int = 200,
           invite: dict | None = None):
    """The review page as this viewer may see it."""
    interview, reviewer = viewer.interview, reviewer_of(viewer)
    installation = interview.installation
    own = scoring.scorecard_of(db, interview, reviewer)
    done = own is not None and own.submitted_at is not None
    context = {
        "interview": interview,
        "company": installation.organization.name,
        "answers": _answers(interview, base),
        "rubric": interview.rubric,
        "own": own,
        "own_ratings": _ratings_of(own),
        "others": scoring.visible_cards(db, interview, reviewer) if done else [],
        "summary": scoring.aggregate(interview, scoring.submitted(db, interview))
        if done or not viewer.can_score else None,
        "reviewer": reviewer,
        "watch_only": not viewer.can_score,
        "error": error,
        "messages": get_flashed_messages(),
        "invitations": _invitations(db, viewer) if viewer.is_admin else None,
        "invite": invite or {"form": {}, "error": None},
        "words": scoring.RECOMMENDATION_WORDS,
        "completed_words": notes.deadline_in_words(interview.completed_at, notes.zone_of(installation))
        if interview.completed_at else None,
    }
    if request.method == "GET":  # a refused form shown again is no new view, and writes nothing
        _log_page(db, viewer, context["summary"])
    response = current_app.make_response((render_template("review/session.html", **context),
                                          status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; media-src 'self' https:; img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'")
    return response


def _log_page(db, viewer: Viewer, summary: dict | None) -> None:
    """The access log's lines for one showing of the page: the link used, the page, the scores."""
    interview = viewer.interview
    if viewer.via_share_link:
        log_access(db, Access.SHARE_LINK_USED, interview, viewer=viewer)
    log_access(db, Access.REVIEW_VIEWED, interview, viewer=viewer)
    if summary and summary["reviewers"]:
        log_access(db, Access.SCORECARD_VIEWED, interview, viewer=viewer,
                   detail=f"{len(summary['reviewers'])} scorecards")


def _score(db, viewer: Viewer, target: str):
    interview, form = viewer.interview, request.form
    try:
        card = scoring.save(
            db, interview, reviewer_of(viewer),
            competencies=_picked(form, "competency", len(interview.rubric)),
            questions=_picked(form, "question", max((q["position"] for q in interview.plan),
                                                     default=0) + 1),
            recommendation=form.get("recommendation") or None,
            comments=form.get("comments", ""), submit=form.get("action") == "submit")
    except scoring.ScoringError as exc:
        db.rollback()
        return render(db, viewer, target, error=str(exc), status=422)
    push_ids = results.after_scorecard(db, services(), interview) if card.submitted_at else []
    db.commit()
    for push_id in push_ids:
        services().queue.enqueue(tasks.DELIVER_PUSH, push_id)
    return redirect(target, 303)


def _invitations(db, viewer: Viewer) -> list[dict]:
    """The session's reviewer invitations as an admin reads them."""
    zone, now = notes.zone_of(viewer.interview.installation), utcnow()
    rows = []
    for invitation in invitations.of_session(db, viewer.interview):
        live = invitation.revoked_at is None and invitation.expires_at > now
        state = ("revoked" if invitation.revoked_at else "expired" if not live else
                 f"link works until {notes.deadline_in_words(invitation.expires_at, zone)}")
        rows.append({"id": invitation.public_id, "name": invitation.name,
                     "email": invitation.email, "state": state, "live": live})
    return rows


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


def _answers(interview: Interview, base: str) -> list[dict]:
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


def _media(db, viewer: Viewer, position: int):
    """The recording, with HTTP range requests so players can seek; S3 answers by redirect.

    `?download=1` serves it as a file to save, logged as a download rather than a view.
    """
    interview, download = viewer.interview, request.args.get("download") == "1"
    answer = db.scalar(select(Answer).where(Answer.session_id == interview.id,
                                            Answer.position == position,
                                            Answer.status == AnswerStatus.SUBMITTED))
    if answer is None or not answer.storage_key:
        abort(404)
    key = answer.playback_key or answer.storage_key
    mime = answer.playback_mime or _mime(answer)
    if request.method == "GET":  # HEAD sends no bytes
        log_recording(db, Access.RECORDING_DOWNLOADED if download else Access.RECORDING_VIEWED,
                      interview, position, viewer, request.headers.get("Range"))
    name = f"answer-{position}.{mime.rsplit('/', 1)[-1]}" if download else None
    storage = services().storage
    if hasattr(storage, "path"):
        response = send_file(storage.path(key), mimetype=mime, conditional=True,
                             max_age=0, etag=True, as_attachment=download, download_name=name)
    else:
        response = redirect(storage.download_url(key, 300, mime, attachment=name))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _mime(answer: Answer) -> str:
    kind = "audio" if answer.kind.value == "audio" else "video"
    return f"{kind}/{answer.container or 'webm'}"


def services():
    return current_app.extensions["connector"]


def _db():
    return services().db.session()
