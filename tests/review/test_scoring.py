"""Scorecards: validated, independent until submitted, aggregated from the ratings alone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector.models import InterviewSession
from connector.review import scoring
from connector.review_models import Recommendation, Scorecard

ANA = scoring.Reviewer(key="user:1", name="Ana")
BO = scoring.Reviewer(key="user:2", name="Bo")


def interview_of(db) -> InterviewSession:
    return db.scalars(select(InterviewSession)).one()


def score(db, reviewer, competencies, recommendation="yes", submit=True, questions=None):
    return scoring.save(db, interview_of(db), reviewer, competencies=competencies,
                        questions=questions or {}, recommendation=recommendation,
                        comments="Clear answers.", submit=submit)


def test_the_builtin_rubric_is_pinned_on_the_session(services, invited):
    with services.db.session() as db:
        rubric = interview_of(db).rubric
    assert [c["name"] for c in rubric] == [
        "Communication", "Relevant experience", "Motivation for the role"]
    assert all(len(c["anchors"]) == 5 for c in rubric)


def test_others_scores_stay_hidden_until_one_submits(services, invited):
    with services.db.session() as db:
        score(db, ANA, {0: 4, 1: 5, 2: 3}, "strong_yes")
        score(db, BO, {0: 2, 1: 3}, submit=False)
        interview = interview_of(db)
        assert scoring.visible_cards(db, interview, BO) == []  # Bo has only a draft
        assert [c.reviewer_name for c in scoring.visible_cards(db, interview, ANA)] == []
    with services.db.session() as db:
        score(db, BO, {0: 2, 1: 3, 2: 4}, "no")
        interview = interview_of(db)
        assert [c.reviewer_name for c in scoring.visible_cards(db, interview, BO)] == ["Ana"]
        assert [c.reviewer_name for c in scoring.visible_cards(db, interview, ANA)] == ["Bo"]


def test_the_aggregate_is_computed_from_the_ratings(services, invited):
    with services.db.session() as db:
        score(db, ANA, {0: 4, 1: 5, 2: 3}, "strong_yes", questions={1: 5, 2: 4})
        score(db, BO, {0: 2, 1: 3, 2: 4}, "no", questions={1: 3})
        interview = interview_of(db)
        summary = scoring.aggregate(interview, scoring.submitted(db, interview))
    assert summary["reviewers"] == ["Ana", "Bo"]
    assert [c["mean"] for c in summary["competencies"]] == [3.0, 4.0, 3.5]
    assert summary["overall"] == 3.5  # all six competency ratings: 21 / 6
    assert [q["mean"] for q in summary["questions"]] == [4.0, 4.0, None]
    assert summary["recommendations"] == {"strong_no": 0, "no": 1, "yes": 0, "strong_yes": 1}


@pytest.mark.parametrize("competencies, recommendation, questions, message", [
    ({0: 4, 1: 5}, "yes", {}, "rate every competency"),
    ({0: 4, 1: 5, 2: 3}, None, {}, "choose a recommendation"),
    ({0: 6, 1: 5, 2: 3}, "yes", {}, "ratings go from 1 to 5"),
    ({0: 4, 1: 5, 2: 3, 7: 1}, "yes", {}, "competency this rubric does not have"),
    ({0: 4, 1: 5, 2: 3}, "yes", {0: 3}, "question this interview does not have"),
])
def test_an_incomplete_or_invalid_scorecard_is_refused(services, invited, competencies,
                                                       recommendation, questions, message):
    with pytest.raises(scoring.ScoringError, match=message), services.db.session() as db:
        score(db, ANA, competencies, recommendation, questions=questions)
    with services.db.session() as db:
        assert db.scalars(select(Scorecard)).all() == []


def test_a_submitted_scorecard_is_final(services, invited):
    with services.db.session() as db:
        score(db, ANA, {0: 4, 1: 5, 2: 3})
    with pytest.raises(scoring.ScoringError, match="already submitted"), \
            services.db.session() as db:
        score(db, ANA, {0: 1, 1: 1, 2: 1})
    with services.db.session() as db:
        (card,) = db.scalars(select(Scorecard)).all()
        assert card.recommendation is Recommendation.YES
        assert sorted(r.value for r in card.ratings) == [3, 4, 5]


def test_a_watch_only_link_cannot_score(services, invited):
    watcher = scoring.Reviewer(key="link:1:x", name="X", share_link_id=1, can_score=False)
    with pytest.raises(scoring.ScoringError, match="watch, not score"), \
            services.db.session() as db:
        score(db, watcher, {0: 4, 1: 5, 2: 3})
