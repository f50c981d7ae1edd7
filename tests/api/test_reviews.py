"""/api/v1/sessions/<id>/review: submitted scorecards only, and their computed aggregate."""

from __future__ import annotations

from sqlalchemy import select

from connector import accounts
from connector.models import Interview
from connector.review import scoring
from tests.api.conftest import PASSWORD, TEMPLATE, assert_error, invite_by_hand


def score(services, public_id, name, competency, question, recommendation, submit=True):
    """A reviewer of Acme, signed in as a user of their own, scores the session."""
    with services.db.session() as db:
        interview = db.scalar(select(Interview)
                              .where(Interview.public_id == public_id))
        user = accounts.create_user(db, "Acme", f"{name.lower()}@acme.example", PASSWORD,
                                    "reviewer", name=name)
        scoring.save(db, interview, scoring.Reviewer(name, user_id=user.id),
                     competencies={0: competency}, questions={1: question},
                     recommendation=recommendation, comments=f"{name} says hi", submit=submit)


def test_review_lists_submitted_scorecards_and_the_aggregate(services, acme, greenhouse):
    template = acme.api.post("/templates", json=TEMPLATE).get_json()
    session = invite_by_hand(acme, template_id=template["id"]).get_json()
    score(services, session["id"], "Ann", 4, 5, "yes")
    score(services, session["id"], "Bob", 2, 3, "strong_yes")
    score(services, session["id"], "Cy", 1, 1, "strong_no", submit=False)  # a draft
    response = acme.api.get(f"/sessions/{session['id']}/review")
    assert response.status_code == 200, response.get_data(as_text=True)
    review = response.get_json()
    assert review["session_id"] == session["id"]
    assert [c["reviewer_name"] for c in review["scorecards"]] == ["Ann", "Bob"]
    ann = review["scorecards"][0]
    assert ann["recommendation"] == "yes" and ann["comments"] == "Ann says hi"
    assert ann["competencies"] == [{"index": 0, "name": "Communication", "rating": 4}]
    assert ann["questions"] == [{"position": 1, "rating": 5}]
    aggregate = review["aggregate"]
    assert aggregate["reviewers"] == ["Ann", "Bob"]
    assert aggregate["competencies"] == [{"name": "Communication", "mean": 3.0}]
    assert aggregate["overall"] == 3.0
    assert aggregate["questions"][0] == {"position": 1, "prompt": "Why this role?", "mean": 4.0}
    assert aggregate["recommendations"] == {"strong_no": 0, "no": 0, "yes": 1, "strong_yes": 1}


def test_a_session_without_scorecards_has_an_empty_review(acme, greenhouse):
    session = invite_by_hand(acme).get_json()
    review = acme.api.get(f"/sessions/{session['id']}/review").get_json()
    assert review["scorecards"] == [] and review["aggregate"]["overall"] is None


def test_an_unknown_session_has_no_review(acme):
    assert_error(acme.api.get("/sessions/ses_nope/review"), 404, "not_found")
