"""/api/v1/sessions/<id>/review: the submitted scorecards and their aggregate.

Drafts are a reviewer's own until submitted, so they never appear here.
"""

from __future__ import annotations

from connector.api import review_schemas
from connector.api.routing import operation, services
from connector.api.sessions import find_session
from connector.models import Access, Scorecard
from connector.privacy.web import log_access
from connector.review import scoring

TAG = "reviews"


def describe_card(interview, card: Scorecard) -> dict:
    names = [item["name"] for item in interview.rubric]
    return {
        "id": card.id,
        "reviewer_name": card.reviewer_name,
        "recommendation": card.recommendation.value if card.recommendation else None,
        "comments": card.comments,
        "submitted_at": card.submitted_at,
        "competencies": [{"index": r.key, "rating": r.value,
                          "name": names[r.key] if r.key < len(names) else ""}
                         for r in card.ratings if r.target == "competency"],
        "questions": [{"position": r.key, "rating": r.value}
                      for r in card.ratings if r.target == "question"],
    }


@operation("GET", "/sessions/<public_id>/review", tag=TAG, response=review_schemas.Review())
def get_review(public_id):
    """A session's submitted scorecards, and the averages computed from their ratings."""
    with services().db.session() as db:
        interview = find_session(db, public_id)
        cards = scoring.submitted(db, interview)
        log_access(db, Access.SCORECARD_VIEWED, interview, detail=f"{len(cards)} scorecards")
        return {"session_id": interview.public_id,
                "scorecards": [describe_card(interview, c) for c in cards],
                "aggregate": scoring.aggregate(interview, cards)}
