"""What reviewing sends back to the ATS: links when the candidate completes, scores after each
submitted scorecard, and the application's move to a next stage when the team has decided."""

from __future__ import annotations

from sqlalchemy import select

from connector import accounts, notes
from connector.interviews import add_once
from connector.models import AnswerStatus, Interview, LinkPurpose, ShareLink, utcnow
from connector.review import scoring

ATS_LINK_DAYS = 30


def review_url(db, services, interview: Interview) -> str:
    """The view-only link the notes carry: made for them once, reused until it ends.

    Anyone who reads the note may watch the answers and the scores through it, so it never
    scores, whatever the installation's options; links made by hand are never taken for it.
    """
    link = db.scalar(select(ShareLink).where(
        ShareLink.session_id == interview.id, ShareLink.purpose == LinkPurpose.NOTE,
        ShareLink.revoked_at.is_(None), ShareLink.expires_at > utcnow())
        .order_by(ShareLink.id.desc()).limit(1))
    if link is not None:
        token = accounts.share_link_token(services.keyring, link)
    else:
        link, token = accounts.create_share_link(
            db, services.keyring, interview, can_score=False, days=ATS_LINK_DAYS,
            purpose=LinkPurpose.NOTE)
    return accounts.share_link_url(services.settings.public_base_url, token)


def completion_links(db, services, interview: Interview) -> list[tuple[str, str]]:
    """The review page, then each answer on it, for the completed note."""
    url = review_url(db, services, interview)
    links = [("Watch and review all answers", url)]
    answered = {a.position for a in interview.answers if a.status is AnswerStatus.SUBMITTED}
    for number, question in enumerate((q for q in interview.plan if not q["is_practice"]), 1):
        if question["position"] in answered:
            links.append((f"Answer {number}", f"{url}#answer-{number}"))
    return links


def after_scorecard(db, services, interview: Interview) -> list[int]:
    """Queue the scores note (one per submitted scorecard), and the move on a decision."""
    cards = scoring.submitted(db, interview)
    summary = scoring.aggregate(interview, cards)
    pushes = [add_once(db, notes.scores(interview.installation, interview, summary,
                                        review_url(db, services, interview)))]
    pushes.append(_decision_move(db, interview, summary, len(cards)))
    return [push.id for push in pushes if push]


def _decision_move(db, interview: Interview, summary: dict, reviewed: int):
    """The move to the stage configured for the decision, once enough reviewers agree.

    Options: "decision_stages" maps a recommendation to an ATS stage id; "decision_after" is
    how many reviewers' submitted scorecards make a decision (default 1), counting each signed-in
    user or invited reviewer once (scoring.submitted). A tie is no decision. The move
    happens once per session: later scorecards change the scores note, never the stage.
    """
    options = interview.installation.options or {}
    stages = options.get("decision_stages") or {}
    if not stages or reviewed < int(options.get("decision_after") or 1):
        return None
    decision = notes.majority(summary["recommendations"])
    if decision is None or not stages.get(decision):
        return None
    return add_once(db, notes.moved(interview.installation, interview, decision,
                                    str(stages[decision])))
