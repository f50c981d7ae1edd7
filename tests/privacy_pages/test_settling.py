"""Each way an interview settles starts its retention period; reopening stops it; a
candidate's confirmed request is carried out by the schedule, as theirs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from connector import lifecycle, manual
from connector.models import (
    Actor, ErasureReason, ErasureReceipt, Interview, InterviewState, utcnow,
)
from jobs.sweeper import sweep
from tests.conftest import edit_fixture, signed_post
from tests.lifecycle_support import change, interview_of, invite, tick
from tests.privacy_pages.conftest import add_user, score_form, sign_in

DAY, SECOND = timedelta(days=1), timedelta(seconds=1)


def the_interview(services) -> Interview:
    with services.db.session() as session:
        return session.scalars(select(Interview)).one()


def test_completing_settles_and_a_submitted_scorecard_settles_it_again(client, services,
                                                                       completed):
    done = the_interview(services)
    assert done.settled_at == done.completed_at is not None
    change(services, completed, settled_at=done.completed_at - 5 * DAY)

    add_user(services, "ana@acme.test", role="admin", name="Ana")
    sign_in(client, "ana@acme.test")
    assert score_form(client, f"/review/sessions/{completed}").status_code in (302, 303)

    assert the_interview(services).settled_at > done.completed_at


def test_expiry_settles_and_an_extension_reopens(client, services, installation, greenhouse):
    invited = invite(client, services, installation)
    assert interview_of(services, invited.public_id).settled_at is None
    tick(services, invited.deadline)
    expired = interview_of(services, invited.public_id)
    assert (expired.state, expired.settled_at) == (InterviewState.EXPIRED, invited.deadline)

    with services.db.session() as session:
        lifecycle.extend(session, lifecycle.find(session, invited.public_id), 24)
    assert interview_of(services, invited.public_id).settled_at is None


def test_cancelling_settles(client, services, installation, greenhouse):
    invited = invite(client, services, installation)
    before = utcnow()
    with services.db.session() as session:
        manual.cancel(lifecycle.find(session, invited.public_id))
    assert interview_of(services, invited.public_id).settled_at >= before


def test_the_ats_closing_the_application_cancels_or_decides(client, services, installation,
                                                            greenhouse):
    invited = invite(client, services, installation)
    rejected = edit_fixture("greenhouse", "reject_candidate",
                            lambda d: d["payload"]["application"].update(id=265277))
    before = utcnow()
    signed_post(client, installation, rejected, "evt-2")
    cancelled = interview_of(services, invited.public_id)
    assert cancelled.state is InterviewState.CANCELLED and cancelled.settled_at >= before

    # Hired after all, later: the decision starts the period again.
    change(services, invited.public_id, settled_at=before - 5 * DAY)
    hired = edit_fixture("greenhouse", "hire_candidate",
                         lambda d: d["payload"]["application"].update(id=265277))
    signed_post(client, installation, hired, "evt-3")
    assert interview_of(services, invited.public_id).settled_at >= before


def test_a_confirmed_request_is_carried_out_by_the_next_sweep_as_the_candidates(
        client, services, installation, greenhouse):
    invited = invite(client, services, installation)
    change(services, invited.public_id, erasure_due_at=utcnow() - SECOND)

    assert sweep()["purges"] == 1

    erased = the_interview(services)
    assert erased.erased_at is not None and erased.candidate_email == ""
    assert erased.public_id != invited.public_id
    with services.db.session() as session:
        receipt = session.scalars(select(ErasureReceipt)).one()
        assert (receipt.reason, receipt.actor, receipt.interview_count) == (
            ErasureReason.CANDIDATE, Actor.CANDIDATE, 1)
    assert sweep()["purges"] == 0  # the next run waits its turn


def test_a_request_not_yet_due_waits(client, services, installation, greenhouse):
    invited = invite(client, services, installation)
    change(services, invited.public_id, erasure_due_at=utcnow() + DAY)
    assert sweep()["purges"] == 1
    assert the_interview(services).erased_at is None
