"""One test per Greenhouse fixture, asserting the whole parsed event (fixtures are signed here)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from adapters.contract import Connection
from adapters.events import Candidate, Event, EventKind
from adapters.greenhouse import MANIFEST
from adapters.greenhouse.adapter import GreenhouseAdapter
from tests.conftest import fixture_body

SECRET = "whsec-test-secret"


def parse(name: str) -> Event | None:
    """Sign the fixture as Greenhouse would, verify it, and read it."""
    adapter = MANIFEST.build(Connection(webhook_secret=SECRET, credentials={}))
    body = fixture_body("greenhouse", name)
    headers = GreenhouseAdapter.sign(body, SECRET)
    adapter.verify(body, headers)
    action, event = adapter.read(body, headers)
    assert action == json.loads(body)["action"]
    return event


GIUSEPPE = Candidate(ats_id="265772", first_name="Giuseppe", last_name="Hurley",
                     email="giuseppe.hurley@example.com",
                     profile_url="https://app.greenhouse.io/people/265772")
STAGE_CHANGE = Event(
    kind=EventKind.STAGE_CHANGED,
    action="candidate_stage_change",
    application_id="265277",
    candidate=GIUSEPPE,
    stage_id="71416",
    stage_name="Assessment",
    job_id="3485",
    job_title="Designer",
    application_url="https://app.greenhouse.io/people/265772?application_id= 265277",
    occurred_at="2015-02-09T16:38:36Z",
)


def test_candidate_stage_change():
    assert parse("candidate_stage_change") == STAGE_CHANGE


def test_candidate_stage_change__no_email():
    assert parse("candidate_stage_change__no_email") == replace(
        STAGE_CHANGE, candidate=replace(GIUSEPPE, email=None))


def test_candidate_stage_change__unicode():
    zoe = replace(GIUSEPPE, first_name="Zoë", last_name="Łukasiewicz-Nguyễn",
                  email="zoe.lukasiewicz@example.com")
    assert parse("candidate_stage_change__unicode") == replace(
        STAGE_CHANGE, candidate=zoe, stage_name="  ASYNC screen ",
        job_title="Ingénieure logiciel – Plateforme")


def test_reject_candidate():
    assert parse("reject_candidate") == Event(
        kind=EventKind.APPLICATION_CLOSED,
        action="reject_candidate",
        application_id="265293",
        candidate=Candidate(ats_id="265788", first_name="Hector", last_name="Porter",
                            email="hector.porter.265788@example.com", profile_url=None),
        stage_id="2708728",
        stage_name="Offer",
        job_id="371417",
        job_title="Designer",
        application_url="https://app.greenhouse.io/people/265788?application_id=265293",
        occurred_at="2015-02-11T15:50:41Z",
    )


def test_hire_candidate():
    # The documented hire example has no current_stage and no last_activity_at.
    assert parse("hire_candidate") == Event(
        kind=EventKind.APPLICATION_CLOSED,
        action="hire_candidate",
        application_id="46194062",
        candidate=Candidate(ats_id="35897443", first_name="Johnny", last_name="Smith",
                            email="personal@example.com",
                            profile_url="https://app.greenhouse.io/people/35897443"),
        stage_id=None,
        stage_name=None,
        job_id="323753",
        job_title="Developer",
        application_url="https://app.greenhouse.io/people/35897443?application_id=46194062",
        occurred_at=None,
    )


def test_ping():
    assert parse("ping") is None


@pytest.mark.parametrize("name", ["candidate_stage_change", "reject_candidate", "hire_candidate",
                                  "ping"])
def test_event_round_trips_through_the_inbox(name):
    event = parse(name)
    assert event is None or Event.from_dict(event.to_dict()) == event
