"""Erase a person: every trace of them goes, and an anonymous record and a receipt remain.

Used by every path (the ATS's deletion events, the admin app, the API, the command line, the
candidate's own request and the retention schedule), so each erases exactly the same things:
the interview's personal fields, answers and every stored file under the interview's prefix
(chunks, takes, playback copies), e-mails in the outbox, pushes not yet sent (delivered ones
keep a row without their payload), share links, reviewers' comments, stage history, and the
stored webhook bodies that mention the person. The interview row stays as an anonymous record
(template, dates, scores, state) under a new public id, so statistics survive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Text, cast, delete, or_, select, true, update

from connector import crypto
from connector.models import (
    Access, AccessEvent, Actor, Answer, AnswerChunk, ApplicationStage, Email, ErasureReason,
    ErasureReceipt, Installation, Interview, OutboxStatus, Push, ReviewerInvitation, Scorecard,
    ShareLink, WebhookDelivery, utcnow,
)

ERASED = "erased"
DROPPED = "dropped: the candidate was erased"


@dataclass
class Person:
    """Whom to erase, by any of what identifies them within one organization."""

    organization_id: int
    emails: set[str] = field(default_factory=set)
    candidate_ids: set[str] = field(default_factory=set)  # the ATS's candidate ids
    application_ids: set[str] = field(default_factory=set)
    interview_ids: set[int] = field(default_factory=set)
    installation_id: int | None = None  # limits ATS ids to one installation

    def is_empty(self) -> bool:
        return not (self.emails or self.candidate_ids or self.application_ids
                    or self.interview_ids)


@dataclass(frozen=True)
class Plan:
    """What an erasure will touch, read before anything changes."""

    person: Person
    interview_ids: list[int]
    installation_ids: list[int]
    prefixes: list[str]  # storage prefixes, one per interview: every copy of every file
    needles: frozenset[str]  # ids and addresses that mark a stored body or payload as theirs


@dataclass(frozen=True)
class Who:
    """Who asked for an erasure, and why."""

    reason: ErasureReason
    actor: Actor
    actor_id: str = ""
    actor_label: str = ""
    address: str | None = None


def erase(db, storage, person: Person, who: Who, now: datetime | None = None) -> ErasureReceipt:
    """Erase the person everywhere; returns the receipt (detached), also for nothing found."""
    with db.session() as session:
        plan = make_plan(session, person)
    files = sum(storage.delete_prefix(prefix) for prefix in plan.prefixes)
    with db.session() as session:
        receipt = apply(session, plan, who, files, now or utcnow())
        session.flush()
        session.expunge(receipt)
    # Again after the commit: a chunk written between the first pass and the commit is gone too.
    for prefix in plan.prefixes:
        storage.delete_prefix(prefix)
    return receipt


def make_plan(session, person: Person) -> Plan:
    """The interviews the person has (not yet erased) and the needles that find the rest."""
    interviews = session.scalars(_interviews_of(person)).all()
    needles = {e.lower() for e in person.emails} | person.candidate_ids | person.application_ids
    for interview in interviews:
        needles |= {interview.candidate_email.lower(), interview.ats_candidate_id,
                    interview.ats_application_id}
    needles -= _still_used_by_others(session, person.organization_id, interviews, needles)
    installation_ids = sorted({i.installation_id for i in interviews} | (
        {person.installation_id} if person.installation_id else
        set(session.scalars(select(Installation.id).where(
            Installation.organization_id == person.organization_id)))))
    return Plan(person, [i.id for i in interviews], installation_ids,
                [storage_prefix(i) for i in interviews], frozenset(n for n in needles if n))


def storage_prefix(interview: Interview) -> str:
    """Where every file of an interview is kept (see connector.candidate.recording)."""
    return f"{interview.installation_id}/{interview.public_id}"


def apply(session, plan: Plan, who: Who, files: int, now: datetime) -> ErasureReceipt:
    """Make every database change of the erasure in one transaction; returns the receipt."""
    counts = {"interviews": len(plan.interview_ids), "files": files}
    anonymous = []
    for interview in session.scalars(select(Interview).where(
            Interview.id.in_(plan.interview_ids), Interview.erased_at.is_(None))):
        old = interview.public_id
        counts["answers"] = counts.get("answers", 0) + _erase_answers(session, interview)
        _anonymise(interview, now)
        anonymous.append(interview.public_id)
        session.add(_log_line(plan.person.organization_id, who, old, now))
    ids = plan.interview_ids
    counts["share_links"] = _delete_share_links(session, ids)
    counts["invitations_revoked"] = _revoke_invitations(session, ids, now)
    session.execute(update(Scorecard).where(Scorecard.session_id.in_(ids)).values(comments=""))
    counts["emails"] = _erase_emails(session, plan)
    counts["pushes"] = _erase_pushes(session, plan)
    counts["deliveries"] = _erase_deliveries(session, plan)
    counts["stage_history"] = session.execute(delete(ApplicationStage).where(
        ApplicationStage.installation_id.in_(plan.installation_ids),
        ApplicationStage.ats_application_id.in_(plan.needles))).rowcount
    receipt = ErasureReceipt(
        organization_id=plan.person.organization_id, reason=who.reason, actor=who.actor,
        actor_id=who.actor_id, interviews=anonymous, erased=counts, requested_at=now,
        completed_at=now, interview_count=len(anonymous))
    session.add(receipt)
    return receipt


def _interviews_of(person: Person):
    scope = Interview.installation_id.in_(
        select(Installation.id).where(Installation.organization_id == person.organization_id))
    ats_scope = (Interview.installation_id == person.installation_id
                 if person.installation_id else true())
    matches = [Interview.id.in_(person.interview_ids)]
    if person.emails:
        matches.append(Interview.candidate_email.in_(
            {e.lower() for e in person.emails} | person.emails))
    if person.candidate_ids:
        matches.append(Interview.ats_candidate_id.in_(person.candidate_ids) & ats_scope)
    if person.application_ids:
        matches.append(Interview.ats_application_id.in_(person.application_ids) & ats_scope)
    return select(Interview).where(scope, Interview.erased_at.is_(None), or_(*matches))


def _still_used_by_others(session, organization_id: int, interviews, needles) -> set[str]:
    """Needles a live interview outside this erasure also carries (a newer application)."""
    if not needles:
        return set()
    erased = [i.id for i in interviews]
    others = session.execute(select(
        Interview.candidate_email, Interview.ats_candidate_id, Interview.ats_application_id,
    ).where(Interview.installation_id.in_(select(Installation.id).where(
        Installation.organization_id == organization_id)), Interview.erased_at.is_(None),
        Interview.id.not_in(erased) if erased else true(), or_(
            Interview.candidate_email.in_(needles), Interview.ats_candidate_id.in_(needles),
            Interview.ats_application_id.in_(needles)))).all()
    return {value.lower() if "@" in value else value for row in others for value in row}


def _erase_answers(session, interview: Interview) -> int:
    answer_ids = [a.id for a in interview.answers]
    if answer_ids:
        session.execute(delete(AnswerChunk).where(AnswerChunk.answer_id.in_(answer_ids)))
        session.execute(delete(Answer).where(Answer.id.in_(answer_ids)))
    session.expire(interview, ["answers"])
    return len(answer_ids)


def _anonymise(interview: Interview, now: datetime) -> None:
    """Keep template, dates, plan, rubric and state; nothing that identifies the person."""
    interview.public_id = crypto.new_public_id("ses")
    interview.ats_application_id = interview.ats_candidate_id = ERASED
    interview.stage_entry = f"{ERASED}:{interview.public_id}"  # unique with the new id
    interview.candidate_name = interview.candidate_email = ""
    interview.token_hash = crypto.hash_token(crypto.new_token())  # the link is dead
    interview.token_encrypted = ""
    interview.accommodation_request = None
    interview.erased_at, interview.erasure_due_at = now, None


def _log_line(organization_id: int, who: Who, interview: str, now: datetime) -> AccessEvent:
    action = Access.PURGED if who.reason is ErasureReason.RETENTION else Access.ERASED
    return AccessEvent(organization_id=organization_id, at=now, actor=who.actor,
                       actor_id=who.actor_id, actor_label=who.actor_label, action=action,
                       interview=interview, detail=who.reason.value, address=who.address)


def _delete_share_links(session, ids: list[int]) -> int:
    if not ids:
        return 0
    links = select(ShareLink.id).where(ShareLink.session_id.in_(ids))
    session.execute(update(Scorecard).where(Scorecard.share_link_id.in_(links))
                    .values(share_link_id=None))
    return session.execute(delete(ShareLink).where(ShareLink.session_id.in_(ids))).rowcount


def _revoke_invitations(session, ids: list[int], now: datetime) -> int:
    return session.execute(update(ReviewerInvitation).where(
        ReviewerInvitation.session_id.in_(ids), ReviewerInvitation.revoked_at.is_(None))
        .values(revoked_at=now)).rowcount if ids else 0


def _erase_emails(session, plan: Plan) -> int:
    """Delete the person's e-mails; one being sent right now is emptied instead."""
    emails = [e.lower() for e in plan.needles if "@" in e]
    rows = session.scalars(select(Email).where(
        Email.organization_id == plan.person.organization_id,
        or_(Email.session_id.in_(plan.interview_ids), Email.to_address.in_(emails)))).all()
    for email in rows:
        if email.status is OutboxStatus.SENDING:  # its job reads the row again before it sends
            email.to_address, email.subject, email.text_body, email.html_body = ERASED, "", "", ""
            email.status, email.last_error, email.session_id = OutboxStatus.FAILED, DROPPED, None
        else:
            session.delete(email)
    return len(rows)


def _erase_pushes(session, plan: Plan) -> int:
    """Pushes about the person lose their payload; those not yet sent are dropped for good."""
    count = 0
    for push in _rows_mentioning(session, Push, Push.payload, plan, Push.session_id):
        if push.status is not OutboxStatus.DELIVERED:
            push.status, push.last_error, push.lease_until = OutboxStatus.FAILED, DROPPED, None
        push.payload, push.external_id, push.session_id = {}, None, None
        push.dedupe_key = f"{ERASED}:{push.id}"
        count += 1
    return count


def _erase_deliveries(session, plan: Plan) -> int:
    """Stored webhooks that mention the person keep their status, not their body."""
    count = 0
    for delivery in _rows_mentioning(session, WebhookDelivery, WebhookDelivery.body, plan):
        delivery.body, delivery.event, delivery.headers = "", None, None
        delivery.outcome = ERASED
        count += 1
    return count


def _rows_mentioning(session, model, column, plan: Plan, session_column=None) -> list:
    """The installations' rows whose JSON holds one of the needles as a whole value.

    The database narrows the rows by substring (on JSON cast to text), then each candidate row
    is checked value by value, so application 12 does not match application 123.
    """
    text = cast(column, Text)
    near = [text.contains(needle, autoescape=True) for needle in plan.needles]
    if session_column is not None and plan.interview_ids:
        near.append(session_column.in_(plan.interview_ids))
    if not near:
        return []
    rows = session.scalars(select(model).where(
        model.installation_id.in_(plan.installation_ids), or_(*near)).order_by(model.id)).all()
    return [row for row in rows if (session_column is not None and getattr(
        row, session_column.key) in plan.interview_ids) or _mentions(
        getattr(row, column.key), plan.needles)]


def _mentions(value, needles: frozenset[str]) -> bool:
    """Whether a stored JSON document (or its text) holds a needle as one of its values."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value else None
        except ValueError:
            return any(needle in value for needle in needles)
    return _holds(value, needles)


def _holds(value, needles: frozenset[str]) -> bool:
    """A whole value, not a substring: application 12 is not application 123."""
    if isinstance(value, dict):
        return any(_holds(v, needles) for v in value.values())
    if isinstance(value, list):
        return any(_holds(v, needles) for v in value)
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value)
        return text in needles or text.lower() in needles
    return False
