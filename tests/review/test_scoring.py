"""Scorecards: validated, independent until submitted, aggregated from the ratings alone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector import accounts
from connector.models import Interview, Recommendation, Scorecard
from connector.review import scoring
from tests.review.conftest import PASSWORD


def reviewer(services, name: str) -> scoring.Reviewer:
    """A signed-in user of the session's organization, as the review page sees them."""
    with services.db.session() as db:
        user = accounts.create_user(db, "Acme", f"{name.lower()}@acme.example", PASSWORD,
                                    "reviewer", name=name)
        return scoring.Reviewer(name=name, user_id=user.id)


@pytest.fixture
def ana(services, invited):
    return reviewer(services, "Ana")


@pytest.fixture
def bo(services, invited):
    return reviewer(services, "Bo")


def interview_of(db) -> Interview:
    return db.scalars(select(Interview)).one()


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


def test_others_scores_stay_hidden_until_one_submits(services, ana, bo):
    with services.db.session() as db:
        score(db, ana, {0: 4, 1: 5, 2: 3}, "strong_yes")
        score(db, bo, {0: 2, 1: 3}, submit=False)
        interview = interview_of(db)
        assert scoring.visible_cards(db, interview, bo) == []  # Bo has only a draft
        assert [c.reviewer_name for c in scoring.visible_cards(db, interview, ana)] == []
    with services.db.session() as db:
        score(db, bo, {0: 2, 1: 3, 2: 4}, "no")
        interview = interview_of(db)
        assert [c.reviewer_name for c in scoring.visible_cards(db, interview, bo)] == ["Ana"]
        assert [c.reviewer_name for c in scoring.visible_cards(db, interview, ana)] == ["Bo"]


def test_the_aggregate_is_computed_from_the_ratings(services, ana, bo):
    with services.db.session() as db:
        score(db, ana, {0: 4, 1: 5, 2: 3}, "strong_yes", questions={1: 5, 2: 4})
        score(db, bo, {0: 2, 1: 3, 2: 4}, "no", questions={1: 3})
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
def test_an_incomplete_or_invalid_scorecard_is_refused(services, ana, competencies,
                                                       recommendation, questions, message):
    with pytest.raises(scoring.ScoringError, match=message), services.db.session() as db:
        score(db, ana, competencies, recommendation, questions=questions)
    with services.db.session() as db:
        assert db.scalars(select(Scorecard)).all() == []


def test_a_submitted_scorecard_is_final(services, ana):
    with services.db.session() as db:
        score(db, ana, {0: 4, 1: 5, 2: 3})
    with pytest.raises(scoring.ScoringError, match="already submitted"), \
            services.db.session() as db:
        score(db, ana, {0: 1, 1: 1, 2: 1})
    with services.db.session() as db:
        (card,) = db.scalars(select(Scorecard)).all()
        assert card.recommendation is Recommendation.YES
        assert sorted(r.value for r in card.ratings) == [3, 4, 5]


def test_nobody_scores_without_an_identity_whatever_the_name(services, invited):
    with pytest.raises(scoring.ScoringError, match="signed-in user or a personal reviewer"), \
            services.db.session() as db:
        score(db, scoring.Reviewer(name="Ana"), {0: 4, 1: 5, 2: 3})
    with services.db.session() as db:
        assert db.scalars(select(Scorecard)).all() == []


def test_one_person_counts_once_and_a_typed_name_not_at_all(services, ana):
    """A user who was also invited (same address) counts once; cards from typed names never."""
    from connector.review import invitations
    from connector.models import ReviewerInvitation, User

    with services.db.session() as db:
        interview = interview_of(db)
        email = db.get(User, ana.user_id).email
        db.get(User, ana.user_id).email = "ana@elsewhere.example"  # an invitation needs no user
        invitation, _ = invitations.invite(db, services.keyring, interview, email, "Ana too",
                                           "https://connector.test")
        db.get(User, ana.user_id).email = email
        invited_ana = scoring.Reviewer(name="Ana too", invitation_id=invitation.id)
        score(db, ana, {0: 4, 1: 4, 2: 4}, "yes")
        score(db, invited_ana, {0: 1, 1: 1, 2: 1}, "strong_no")
        db.add(Scorecard(session_id=interview.id, reviewer_key="link:1:mallory",
                         reviewer_name="Mallory", submitted_at=interview.created_at,
                         recommendation=Recommendation.STRONG_NO))
    with services.db.session() as db:
        interview = interview_of(db)
        assert len(db.scalars(select(Scorecard)).all()) == 3
        assert len(db.scalars(select(ReviewerInvitation)).all()) == 1
        summary = scoring.aggregate(interview, scoring.submitted(db, interview))
    assert summary["reviewers"] == ["Ana"]
    assert summary["recommendations"] == {"strong_no": 0, "no": 0, "yes": 1, "strong_yes": 0}
