"""The erasure every path shares: nothing of the person remains, an anonymous record does."""

from __future__ import annotations

from sqlalchemy import select

from connector.models import (
    Actor, Answer, ErasureReason, ErasureReceipt, Installation, Interview, InterviewState, Rating,
    Scorecard,
)
from connector.privacy.erasure import Person, Who, erase
from tests.privacy.conftest import EMAIL, NEEDLES
from tests.privacy.traces import files_holding, rows_holding

OPERATOR = Who(ErasureReason.OPERATOR, Actor.OPERATOR, "root")


def organization_id(services) -> int:
    with services.db.session() as session:
        return session.scalars(select(Interview)).one().installation.organization_id


def test_before_erasure_the_person_is_everywhere(services, person):
    """The search below is able to find them: without this the next test would prove nothing."""
    found = rows_holding(services, NEEDLES)
    assert {f.split(":")[0] for f in found} >= {
        "interview_sessions.candidate_name", "interview_sessions.candidate_email",
        "webhook_deliveries.body", "emails.to_address", "scorecards.comments", "pushes.payload"}
    assert len(services.storage.keys(person["prefix"])) >= 2


def test_erasure_by_email_leaves_nothing_but_the_anonymous_record(services, person):
    receipt = erase(services.db, services.storage,
                    Person(organization_id(services), emails={EMAIL.upper()}), OPERATOR)

    assert rows_holding(services, NEEDLES) == []
    assert _only_the_access_log(rows_holding(services, [person["public_id"]]))
    assert services.storage.keys(person["prefix"]) == []
    assert files_holding(services.storage, NEEDLES) == []
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        assert interview.state is InterviewState.COMPLETED and interview.erased_at is not None
        assert interview.public_id == receipt.interviews[0] != person["public_id"]
        assert session.scalars(select(Answer)).all() == []
        assert session.scalars(select(Rating)).all() != []  # the scores stay, anonymous
        assert session.scalars(select(Scorecard)).one().recommendation is not None
        stored = session.scalars(select(ErasureReceipt)).one()
        assert (stored.reason, stored.actor, stored.interview_count) == (
            ErasureReason.OPERATOR, Actor.OPERATOR, 1)
        assert stored.erased["answers"] == 3 and stored.erased["files"] >= 2


def _only_the_access_log(found: list[str]) -> bool:
    """The old public id may stay in the access log, where it names no one any more."""
    return all(f.startswith("access_events.interview") for f in found)


def test_a_second_erasure_finds_nothing_and_changes_nothing(services, person):
    org = organization_id(services)
    erase(services.db, services.storage, Person(org, emails={EMAIL}), OPERATOR)
    before = rows_holding(services, ["erased"])
    receipt = erase(services.db, services.storage, Person(org, emails={EMAIL}), OPERATOR)
    assert receipt.interview_count == 0 and receipt.erased["interviews"] == 0
    assert rows_holding(services, ["erased"]) == before


def test_another_organizations_erasure_does_not_reach_the_person(services, person):
    with services.db.session() as session:
        from connector.organizations import find_or_create
        other = find_or_create(session, "Globex").id
    receipt = erase(services.db, services.storage, Person(other, emails={EMAIL}), OPERATOR)
    assert receipt.interview_count == 0
    assert services.storage.keys(person["prefix"]) != []
    assert rows_holding(services, [EMAIL]) != []


def test_a_person_without_an_interview_is_found_by_their_ids(client, services, installation,
                                                              greenhouse):
    """No e-mail, so no interview: the note about them and the stored webhook still go."""
    from tests.conftest import fixture_body, signed_post

    assert signed_post(client, installation, fixture_body(
        "greenhouse", "candidate_stage_change__no_email")).status_code == 200
    assert rows_holding(services, ["265277"]) != []
    with services.db.session() as session:
        org = session.scalars(select(Installation)).one().organization_id
    receipt = erase(services.db, services.storage, Person(org, application_ids={"265277"}),
                    OPERATOR)
    assert receipt.erased["pushes"] == 1 and receipt.erased["deliveries"] == 1
    assert rows_holding(services, ["265277", "265772"]) == []
