"""Scorecards: independent ratings on the session's rubric and questions, and their aggregate.

Reviewers do not see each other's scores until they have submitted their own, so that the first
opinion read does not anchor the next. The aggregate is always computed from the ratings, of one
scorecard per person: a signed-in user or a personal invitation, never a typed name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from statistics import mean

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.events import RECOMMENDATION_WORDS as WORDS
from connector.models import (
    Interview,
    Rating,
    Recommendation,
    ReviewerInvitation,
    Scorecard,
    User,
    utcnow,
)
from connector.names import display_name
from connector.privacy import retention

SCALE = range(1, 6)
RECOMMENDATION_WORDS = {Recommendation(key): words for key, words in WORDS.items()}


class ScoringError(ValueError):
    """A scorecard that cannot be saved; the message says what to fix."""


@dataclass(frozen=True)
class Reviewer:
    """Who is scoring: a signed-in user, or the holder of a personal invitation; else nobody."""

    name: str
    user_id: int | None = None
    invitation_id: int | None = None

    @property
    def key(self) -> str | None:
        """Scorecard.reviewer_key, unique per session: one scorecard per identity."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        if self.invitation_id is not None:
            return f"invitation:{self.invitation_id}"
        return None


def scorecard_of(db: Session, interview: Interview, reviewer: Reviewer) -> Scorecard | None:
    if reviewer.key is None:
        return None
    return db.scalar(select(Scorecard).where(Scorecard.session_id == interview.id,
                                             Scorecard.reviewer_key == reviewer.key))


def save(db: Session, interview: Interview, reviewer: Reviewer, *,
         competencies: dict[int, int], questions: dict[int, int],
         recommendation: str | None, comments: str, submit: bool) -> Scorecard:
    """Save a draft or submit a scorecard; a submitted one is final."""
    if reviewer.key is None:
        raise ScoringError("scoring needs a signed-in user or a personal reviewer invitation")
    card = scorecard_of(db, interview, reviewer) or _new_card(db, interview, reviewer)
    if card.submitted_at is not None:
        raise ScoringError("you have already submitted your scores")
    _check(interview, competencies, questions)
    card.ratings.clear()
    db.flush()  # old ratings go before new ones take their (scorecard, target, key) slots
    card.ratings = (
        [Rating(target="competency", key=k, value=v) for k, v in sorted(competencies.items())]
        + [Rating(target="question", key=k, value=v) for k, v in sorted(questions.items())])
    card.recommendation = Recommendation(recommendation) if recommendation else None
    card.comments = (comments or "").strip()[:5000]
    if submit:
        missing = _missing(interview, competencies)
        if missing or card.recommendation is None:
            raise ScoringError("rate every competency and choose a recommendation to submit"
                               + (f" (missing: {', '.join(missing)})" if missing else ""))
        card.submitted_at = utcnow()
        retention.settle(interview, card.submitted_at)  # decided: the period starts again
    return card


def visible_cards(db: Session, interview: Interview, reviewer: Reviewer) -> list[Scorecard]:
    """Other reviewers' submitted scorecards, once this reviewer has submitted theirs."""
    own = scorecard_of(db, interview, reviewer)
    if own is None or own.submitted_at is None:
        return []
    return [c for c in submitted(db, interview) if c.reviewer_key != reviewer.key]


def submitted(db: Session, interview: Interview) -> list[Scorecard]:
    """Submitted scorecards, the first of each person (by e-mail address); none without one."""
    rows = db.execute(
        select(Scorecard, User.email, ReviewerInvitation.email)
        .outerjoin(User, Scorecard.user_id == User.id)
        .outerjoin(ReviewerInvitation, Scorecard.invitation_id == ReviewerInvitation.id)
        .where(Scorecard.session_id == interview.id, Scorecard.submitted_at.is_not(None))
        .order_by(Scorecard.submitted_at, Scorecard.id))
    people, cards = set(), []
    for card, user_email, invited_email in rows:
        person = (user_email or invited_email or "").lower()
        if person and person not in people:
            people.add(person)
            cards.append(card)
    return cards


def aggregate(interview: Interview, cards: list[Scorecard]) -> dict:
    """Per competency and per question means, the overall mean, and recommendation counts."""
    def mean_of(target: str, key: int) -> float | None:
        values = [r.value for c in cards for r in c.ratings if r.target == target and r.key == key]
        return round(mean(values), 2) if values else None

    competencies = [{"name": item["name"], "mean": mean_of("competency", index)}
                    for index, item in enumerate(interview.rubric)]
    questions = [{"position": q["position"], "prompt": q["prompt"],
                  "mean": mean_of("question", q["position"])}
                 for q in interview.plan if not q["is_practice"]]
    all_competency = [r.value for c in cards for r in c.ratings if r.target == "competency"]
    counts = Counter(c.recommendation for c in cards if c.recommendation)
    return {
        "reviewers": [c.reviewer_name for c in cards],
        "competencies": competencies,
        "questions": questions,
        "overall": round(mean(all_competency), 2) if all_competency else None,
        "recommendations": {r.value: counts.get(r, 0) for r in Recommendation},
    }


def _new_card(db: Session, interview: Interview, reviewer: Reviewer) -> Scorecard:
    card = Scorecard(session_id=interview.id, reviewer_key=reviewer.key,
                     reviewer_name=display_name(reviewer.name), user_id=reviewer.user_id,
                     invitation_id=reviewer.invitation_id)
    try:
        with db.begin_nested():
            db.add(card)
    except IntegrityError:  # the same reviewer in another tab, a moment ago
        card = scorecard_of(db, interview, reviewer)
    return card


def _check(interview: Interview, competencies: dict[int, int],
           questions: dict[int, int]) -> None:
    positions = {q["position"] for q in interview.plan if not q["is_practice"]}
    if not set(competencies) <= set(range(len(interview.rubric))):
        raise ScoringError("a rating names a competency this rubric does not have")
    if not set(questions) <= positions:
        raise ScoringError("a rating names a question this interview does not have")
    if any(v not in SCALE for v in [*competencies.values(), *questions.values()]):
        raise ScoringError("ratings go from 1 to 5")


def _missing(interview: Interview, competencies: dict[int, int]) -> list[str]:
    return [item["name"] for index, item in enumerate(interview.rubric)
            if index not in competencies]
