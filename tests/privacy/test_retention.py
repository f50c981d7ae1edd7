"""Retention on a controllable clock: before its period an interview stays whole, after it
nothing of the person remains anywhere but an anonymous record does, and runs repeat safely."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from connector import crypto
from connector.models import (
    Access, AccessEvent, Actor, Base, ErasureReason, ErasureReceipt, Interview, InterviewState,
    InterviewTemplate, Rating, Scorecard,
)
from connector.privacy.retention import due_at, purge_due
from tests.privacy.conftest import NEEDLES
from tests.privacy.traces import files_holding, rows_holding

DAY = timedelta(days=1)


def settled_at(services):
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        return interview.settled_at, due_at(interview)


def every_row(services) -> dict[str, list[tuple]]:
    """Every row of every table, to show that a run changed nothing at all."""
    with services.db.session() as session:
        return {table.name: sorted(tuple(map(repr, row)) for row in session.execute(
            select(table))) for table in Base.metadata.sorted_tables}


def test_before_its_period_nothing_of_the_interview_goes(services, person):
    settled, due = settled_at(services)
    assert settled is not None and due == settled + 180 * DAY  # the organization's default

    counts = purge_due(services.db, services.storage, now=due - DAY)

    assert (counts["retention"], counts["requested"]) == (0, 0)
    with services.db.session() as session:
        assert session.scalars(select(Interview)).one().erased_at is None
        assert session.scalars(select(ErasureReceipt)).all() == []
    assert len(services.storage.keys(person["prefix"])) >= 2
    assert any(f.startswith("interview_sessions.") for f in rows_holding(services, NEEDLES))


def test_after_its_period_only_an_anonymous_record_remains_and_a_rerun_changes_nothing(
        services, person):
    _, due = settled_at(services)

    counts = purge_due(services.db, services.storage, now=due + DAY)

    assert counts["retention"] == 1
    assert rows_holding(services, NEEDLES) == []
    assert files_holding(services.storage, NEEDLES) == []
    assert services.storage.keys(person["prefix"]) == []
    with services.db.session() as session:
        record = session.scalars(select(Interview)).one()
        assert record.state is InterviewState.COMPLETED and record.erased_at == due + DAY
        assert (record.template_id, record.completed_at, record.settled_at) != (None,) * 3
        assert session.scalars(select(Rating)).all() != []  # the scores stay, anonymous
        assert session.scalars(select(Scorecard)).one().recommendation is not None
        receipt = session.scalars(select(ErasureReceipt)).one()
        assert (receipt.reason, receipt.actor, receipt.interviews) == (
            ErasureReason.RETENTION, Actor.SYSTEM, [record.public_id])
        line = session.scalars(select(AccessEvent).where(
            AccessEvent.action == Access.PURGED)).one()
        assert line.interview == person["public_id"]

    before = every_row(services)
    again = purge_due(services.db, services.storage, now=due + 2 * DAY)
    assert again == {"requested": 0, "retention": 0, "access_log": 0, "deliveries": 0}
    assert every_row(services) == before


def test_a_template_of_its_own_shortens_or_lengthens_the_period(services, person):
    settled, default_due = settled_at(services)
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        own = InterviewTemplate(organization_id=interview.installation.organization_id,
                                name="Short keep", retention_days=30)
        session.add(own)
        session.flush()
        interview.template_id = own.id
    assert settled_at(services)[1] == settled + 30 * DAY
    assert purge_due(services.db, services.storage, now=settled + 29 * DAY)["retention"] == 0

    _set_own_days(services, 400)
    assert purge_due(services.db, services.storage, now=default_due + DAY)["retention"] == 0
    assert services.storage.keys(person["prefix"]) != []
    assert purge_due(services.db, services.storage, now=settled + 401 * DAY)["retention"] == 1
    assert services.storage.keys(person["prefix"]) == []


def _set_own_days(services, days: int) -> None:
    with services.db.session() as session:
        session.scalars(select(InterviewTemplate).where(
            InterviewTemplate.name == "Short keep")).one().retention_days = days


def test_batches_resume_where_the_last_run_stopped(services, person):
    settled, due = settled_at(services)
    other = _another_settled_interview(services, settled - DAY)

    first = purge_due(services.db, services.storage, now=due + DAY, batch=1)
    assert first["retention"] == 1
    with services.db.session() as session:
        assert session.get(Interview, other).erased_at is not None  # the oldest goes first
        assert session.get(Interview, person["interview_id"]).erased_at is None
    assert services.storage.keys(person["prefix"]) != []

    second = purge_due(services.db, services.storage, now=due + DAY, batch=1)
    assert second["retention"] == 1
    assert services.storage.keys(person["prefix"]) == []
    assert rows_holding(services, NEEDLES) == []
    assert purge_due(services.db, services.storage, now=due + DAY, batch=1)["retention"] == 0


def _another_settled_interview(services, settled) -> int:
    """A second candidate's interview of the same installation, settled a day earlier."""
    with services.db.session() as session:
        first = session.scalars(select(Interview)).one()
        other = Interview(
            public_id=crypto.new_public_id("ses"), installation_id=first.installation_id,
            template_id=first.template_id, ats_application_id="777001",
            ats_candidate_id="777002", stage_entry="manual:other",
            candidate_name="Ada Other", candidate_email="ada.other@example.com",
            job_title=first.job_title, state=InterviewState.EXPIRED,
            token_hash=crypto.hash_token(crypto.new_token()), token_encrypted="",
            deadline_at=settled, settled_at=settled)
        session.add(other)
        session.flush()
        return other.id
