"""One test per sandbox fixture, asserting the whole parsed event (fixtures are signed here)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from adapters.contract import Connection
from adapters.events import Candidate, Event, EventKind
from adapters.sandbox import MANIFEST
from adapters.sandbox.adapter import SandboxAdapter
from tests.conftest import edit_fixture, fixture_body
from webhooks.errors import MalformedPayload

SECRET = SandboxAdapter.new_webhook_secret()


def adapter() -> SandboxAdapter:
    return MANIFEST.build(Connection(webhook_secret=SECRET, credentials={}))


def parse(body: bytes) -> Event | None:
    """Sign the body as the board would, verify it, and read it."""
    headers = SandboxAdapter.sign(body, SECRET)
    adapter().verify(body, headers)
    action, event = adapter().read(body, headers)
    assert action == json.loads(body)["type"]
    return event


ADA = Candidate(ats_id="cand-2001", first_name="Ada", last_name="Okafor",
                email="ada.okafor@example.com",
                profile_url="https://ats.example.com/applications/app-1001")
STAGE_CHANGED = Event(
    kind=EventKind.STAGE_CHANGED,
    action="application.stage_changed",
    application_id="app-1001",
    candidate=ADA,
    stage_id="async_screen",
    stage_name="Async screen",
    job_id="job-backend-engineer",
    job_title="Backend engineer",
    application_url="https://ats.example.com/applications/app-1001",
    occurred_at="2026-11-24T09:15:01Z",
)


def test_application_stage_changed():
    assert parse(fixture_body("sandbox", "application_stage_changed")) == STAGE_CHANGED


def test_application_closed():
    assert parse(fixture_body("sandbox", "application_closed")) == Event(
        kind=EventKind.APPLICATION_CLOSED,
        action="application.closed",
        application_id="app-1001",
        candidate=ADA,
        stage_id="rejected",
        stage_name="Rejected",
        job_id="job-backend-engineer",
        job_title="Backend engineer",
        application_url="https://ats.example.com/applications/app-1001",
        occurred_at="2026-11-25T16:40:10Z",
    )


def test_integer_ids_and_a_missing_occurred_at_and_an_unusable_email():
    def change(data):
        data["data"]["application"]["id"] = 1001
        data["data"]["candidate"]["email"] = "not an address"
        del data["data"]["occurred_at"]
    event = parse(edit_fixture("sandbox", "application_stage_changed", change))
    assert event == replace(STAGE_CHANGED, application_id="1001",
                            candidate=replace(ADA, email=None),
                            occurred_at="2026-11-24T09:15:02Z")  # the envelope's timestamp


def test_a_type_we_do_not_act_on_parses_to_none():
    body = json.dumps({"type": "candidate.updated", "timestamp": "2026-11-24T09:15:02Z",
                       "data": {"anything": True}}).encode()
    assert adapter().read(body, {}) == ("candidate.updated", None)


@pytest.mark.parametrize("body, reason", [
    (b"not json", "invalid_json"),
    (b"\xff\xfe", "invalid_json"),
    (b"[1, 2]", "malformed_payload"),
    (b'{"data": {}}', "malformed_payload"),
    (b'{"type": "application.stage_changed"}', "malformed_payload"),
    (b'{"type": "application.stage_changed", "data": {"application": {"id": 1}}}',
     "malformed_payload"),
    (b'{"type": "application.closed", "data": {"application": {"id": true}, '
     b'"candidate": {"id": 1}}}', "malformed_payload"),
    (b'{"type": "application.stage_changed", "data": {"application": {"id": "a"}, '
     b'"candidate": {"id": ""}}}', "malformed_payload"),
])
def test_payloads_that_are_not_this_contract_are_malformed(body, reason):
    with pytest.raises(MalformedPayload) as caught:
        adapter().read(body, {})
    assert caught.value.reason == reason
