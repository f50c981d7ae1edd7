"""The interview engine's first step: a stage move becomes a session, an invitation and a note."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from adapters.events import Event, EventKind
from connector import crypto, notes
from connector.models.interviews import OPEN_STATES, SETTLED_STATES  # noqa: F401 (shared)
from connector.models import (
    ApplicationStage,
    Email,
    Installation,
    Interview,
    InterviewTemplate,
    Push,
    InterviewState,
    StageRule,
    utcnow,
)



@dataclass(frozen=True)
class Timers:
    """When a session next needs a lifecycle job: its reminder (None: no reminder) and deadline."""

    reminder_at: datetime | None
    deadline_at: datetime

    @classmethod
    def of(cls, interview: Interview) -> Timers:
        return cls(reminder_at(interview), interview.deadline_at)


@dataclass
class Handled:
    """What handling an event did: an outcome word, the rows that need a job, the timers to set."""

    outcome: str
    email_ids: list[int]
    push_ids: list[int]
    timers: list[Timers] = field(default_factory=list)
    # The invitation e-mail just written and its link's token, for the job to send at once.
    invitation: tuple[Email, str] | None = field(default=None, repr=False)

    @property
    def acted(self) -> bool:
        return self.outcome in ("invited", "no_email", "cancelled")


def matching_rule(installation: Installation, stage_id: str | None,
                  stage_name: str | None) -> StageRule | None:
    """The rule whose stage equals the event's stage id, or its name ignoring case and spaces."""
    name = (stage_name or "").strip().casefold()
    for rule in installation.stage_rules:
        wanted = rule.stage.strip()
        if (stage_id and wanted == stage_id) or (name and wanted.casefold() == name):
            return rule
    return None


def template_for(session: Session, rule: StageRule) -> InterviewTemplate:
    """The rule's template, or the built-in default when it names none, with its questions."""
    with_questions = joinedload(InterviewTemplate.questions)  # one query, not two
    if rule.template_id is not None:
        return session.get(InterviewTemplate, rule.template_id, options=[with_questions])
    return session.scalars(select(InterviewTemplate).where(InterviewTemplate.is_builtin)
                           .order_by(InterviewTemplate.id).limit(1).options(with_questions)
                           ).unique().first()


def stage_entry(session: Session, installation: Installation, event: Event) -> str | None:
    """A key for this stay of the application in this stage; None for a stale report.

    Greenhouse reports only the current stage (no "from" stage) and may send the same move
    twice under different delivery ids, so we remember the last stage seen per application:
    the same stage again is the same entry, a different one starts a new entry. The row stays
    locked until the transaction ends, so moves of one application are handled one at a time.
    """
    occurred = _parse_time(event.occurred_at)
    if _insert_stage(session, installation.id, event, occurred):
        return f"{event.stage_id}#1"
    row = session.scalar(select(ApplicationStage).where(
        ApplicationStage.installation_id == installation.id,
        ApplicationStage.ats_application_id == event.application_id).with_for_update())
    if row.stage_id != event.stage_id:
        if occurred and row.occurred_at and occurred < row.occurred_at:
            return None  # an older move delivered late: the application has moved on
        row.stage_id = event.stage_id
        row.entry_number += 1
        row.occurred_at = occurred or row.occurred_at
        row.updated_at = utcnow()
    return f"{row.stage_id}#{row.entry_number}"


def _insert_stage(session: Session, installation_id: int, event: Event,
                  occurred: datetime | None) -> bool:
    """Record the application's first stage; False when it has a row already.

    One INSERT ... ON CONFLICT DO NOTHING: a second job recording the same application waits
    for the first one's transaction, then finds its row, with no savepoint to roll back to.
    """
    values = {"installation_id": installation_id, "ats_application_id": event.application_id,
              "stage_id": event.stage_id, "entry_number": 1, "occurred_at": occurred,
              "updated_at": utcnow()}
    dialect = session.get_bind().dialect.name
    return session.execute(_first_stage(dialect), values).first() is not None


@cache
def _first_stage(dialect: str):
    """The INSERT of an application's first stage, built once per database kind."""
    table = ApplicationStage.__table__
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


def invites(installation: Installation, event: Event) -> bool:
    """Whether the event may invite someone: a stage change into a trigger stage."""
    return event.kind is EventKind.STAGE_CHANGED and bool(event.stage_id) and \
        matching_rule(installation, event.stage_id, event.stage_name) is not None


def handle_stage_change(session: Session, keyring: crypto.Keyring, base_url: str,
                        installation: Installation, event: Event) -> Handled:
    """Invite the candidate when the new stage is a trigger stage, exactly once per entry."""
    if not event.stage_id:
        return Handled("no_stage", [], [])
    entry = stage_entry(session, installation, event)
    if entry is None:
        return Handled("stale_event", [], [])
    rule = matching_rule(installation, event.stage_id, event.stage_name)
    if rule is None:
        return Handled("stage_not_mapped", [], [])
    if event.candidate is None:  # an ATS that sends ids only and could not say who it was
        return Handled("no_candidate", [], [])
    if not event.candidate.email:
        push = add_once(session, notes.no_email(installation, event, entry))
        return Handled("no_email", [], [push.id] if push else [])
    template = template_for(session, rule)
    token = crypto.new_token()
    interview = Interview(
        public_id=crypto.new_public_id("ses"), installation_id=installation.id,
        template=template, ats_application_id=event.application_id,
        ats_candidate_id=event.candidate.ats_id, stage_entry=entry,
        candidate_name=fitted(event.candidate.full_name, "candidate_name") or "Candidate",
        candidate_email=event.candidate.email, job_title=fitted(event.job_title, "job_title"),
        token_hash=crypto.hash_token(token), token_encrypted=keyring.encrypt(token),
        deadline_at=utcnow() + timedelta(hours=template.deadline_hours),
        plan=plan_of(template), template_version=template.version, rubric=template.rubric,
        reminder_hours=template.reminder_hours,
    )
    # The stage row is locked (stage_entry): no other job can add this entry's session now.
    if _has_session(session, installation.id, event.application_id, entry):
        return Handled("duplicate_session", [], [])
    session.add(interview)
    session.flush()
    link = interview_link(base_url, token)
    # Their keys name the new session: nothing can hold them yet, so no savepoint is needed.
    email = notes.invitation_email(installation, interview, link)
    push = notes.invited(installation, interview)
    session.add_all([email, push])
    session.flush()
    return Handled("invited", [email.id], [push.id], [Timers.of(interview)],
                   invitation=(email, token))


# Built once: every invitation asks it.
_SESSION_OF_ENTRY = select(Interview.id).where(
    Interview.installation_id == bindparam("installation_id"),
    Interview.ats_application_id == bindparam("application_id"),
    Interview.stage_entry == bindparam("entry"))


def _has_session(session: Session, installation_id: int, application_id: str,
                 entry: str) -> bool:
    return session.scalar(_SESSION_OF_ENTRY, {
        "installation_id": installation_id, "application_id": application_id,
        "entry": entry}) is not None


def handle_application_closed(session: Session, installation: Installation,
                              event: Event) -> Handled:
    """A rejected or hired candidate's open interview is cancelled; no reminders follow.

    Cancelled or not, the application's interviews are decided now: their retention period
    (connector.privacy.retention) starts again from this moment.
    """
    now = utcnow()
    application = (Interview.installation_id == installation.id,
                   Interview.ats_application_id == event.application_id)
    cancelled = session.execute(
        update(Interview).where(*application, Interview.state.in_(OPEN_STATES))
        .values(state=InterviewState.CANCELLED, settled_at=now)
    ).rowcount
    session.execute(update(Interview).where(
        *application, Interview.state.in_(SETTLED_STATES), Interview.erased_at.is_(None),
    ).values(settled_at=now))
    return Handled("cancelled" if cancelled else "nothing_open", [], [])


def plan_of(template: InterviewTemplate) -> list[dict]:
    """The template's questions as plain data, pinned on a session when it is created."""
    return [{
        "question_id": q.id, "position": q.position, "prompt": q.prompt,
        "prep_seconds": q.prep_seconds, "answer_seconds": q.answer_seconds,
        "retakes": q.retakes, "kind": q.answer_kind.value,
        "max_characters": q.max_characters, "is_practice": q.is_practice,
    } for q in sorted(template.questions, key=lambda q: q.position)]


def reminder_at(interview: Interview) -> datetime | None:
    """When an open session's one reminder is due; None when it has none or had it already."""
    if interview.state not in OPEN_STATES or interview.reminder_hours <= 0 \
            or interview.reminded_at is not None:
        return None
    return interview.deadline_at - timedelta(hours=interview.reminder_hours)


def interview_link(base_url: str, token: str) -> str:
    return f"{base_url}/interview/{token}"


def add_once(session: Session, row: Interview | Email | Push):
    """Insert a row keyed by a natural key; None when it already exists."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def fitted(value: str | None, column: str) -> str:
    """Text as a session column can keep it: no NUL (PostgreSQL refuses it), cut to its length."""
    # Webhooks are bounded at the edge; this is for deliveries stored before that, replayed.
    length = Interview.__table__.c[column].type.length
    return (value or "").replace("\x00", "")[:length]


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
