"""The adapter contract as checks any ATS folder must pass: run over the registry by
test_contract.py, and over a throwaway ATS by test_new_adapter.py.

Each check takes the ATS's manifest and its kit (tests/adapters/kit.py).
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import replace
from unittest import mock

import pytest
import requests
import responses

from adapters.contract import Adapter, Connection, Tools
from adapters.errors import ApiError, Invalid, SignatureError, Superseded
from adapters.events import Outcome, Verdict
from adapters.manifest import Manifest
from jobs.writeback import write
from tests.adapters.kit import Kit

# The methods each capability promises; an adapter overrides them exactly when it declares it.
PROMISES = {"notes": ("create_note",), "find_note": ("find_note",),
            "result_slot": ("set_result",), "move": ("current_stage", "move"),
            "list_stages": ("list_stages",), "enrich": ("enrich",),
            "handshake": ("handshake",)}


def adapter(manifest: Manifest, kit: Kit, secret: str = "", **tools) -> Adapter:
    connection = Connection(webhook_secret=secret, credentials=dict(kit.credentials),
                            api_base_url=kit.api_base_url, strict_hosts=False)
    return manifest.build(connection, Tools(**tools))


def fixtures(kit: Kit) -> list[str]:
    return sorted(p.stem for p in kit.fixtures.glob("*.json") if not p.stem.endswith(".event"))


def check_fixture(manifest: Manifest, kit: Kit, name: str) -> None:
    """Signed as the ATS signs it, the fixture verifies and reads as its .event.json says."""
    body = (kit.fixtures / f"{name}.json").read_bytes()
    stated = json.loads((kit.fixtures / f"{name}.event.json").read_text())
    secret = manifest.new_webhook_secret()
    ats = adapter(manifest, kit, secret)
    headers = ats.sign(body, secret)
    ats.verify(body, headers)
    action, event = ats.read(body, headers)
    assert {"action": action, "event": event.to_dict() if event else None} == stated


def check_signatures(manifest: Manifest, kit: Kit) -> None:
    """Sign then verify round-trips; a tampered body, a wrong secret and a stale one fail."""
    body = (kit.fixtures / f"{fixtures(kit)[0]}.json").read_bytes()
    secret = manifest.new_webhook_secret()
    ats = adapter(manifest, kit, secret)
    headers = ats.sign(body, secret)
    ats.verify(body, headers)
    with pytest.raises(SignatureError):
        ats.verify(body + b" ", headers)
    with pytest.raises(SignatureError):
        ats.verify(body, ats.sign(body, manifest.new_webhook_secret()))
    with pytest.raises(SignatureError):
        adapter(manifest, kit, "").verify(body, headers)  # no secret verifies nothing
    later = adapter(manifest, kit, secret, clock=lambda: time.time() + 3600)
    if kit.signs_timestamp:
        with pytest.raises(SignatureError):
            later.verify(body, headers)
    else:
        later.verify(body, headers)


def check_sample(manifest: Manifest, kit: Kit) -> None:
    """The wizard's test event is signed, verified and read into an event for no one."""
    sample = manifest.sample("contract")
    if not manifest.can("test_event"):
        assert sample is None
        return
    body, headers = sample
    secret = manifest.new_webhook_secret()
    ats = adapter(manifest, kit, secret)
    headers = {**headers, **ats.sign(body, secret)}
    ats.verify(body, headers)
    _action, event = ats.read(body, headers)
    assert event is not None and event.stage_id
    assert event.candidate is None or event.candidate.email is None  # it can invite no one


def check_manifest(manifest: Manifest) -> None:
    """What the wizard and the API read of the manifest is there and consistent."""
    assert manifest.key == manifest.folder.name
    assert manifest.name and manifest.adapter.events
    assert all(field.label for field in manifest.credentials)
    assert manifest.load_options({}) is not None
    for capability, methods in PROMISES.items():
        for method in methods:
            overridden = getattr(manifest.adapter, method) is not getattr(Adapter, method)
            assert overridden == manifest.can(capability), (capability, method)


@contextmanager
def answers_lost_once(state):
    """The first request that changes what the ATS holds (as `state()` sees it) reaches it,
    but its answer never comes back; a token fetch or a read before it goes through."""
    send, lost = requests.Session.send, []

    def losing(session, request, **kwargs):
        before = state()
        response = send(session, request, **kwargs)
        if not lost and state() != before:
            lost.append(request.url)
            raise requests.ConnectionError("the answer was lost")
        return response

    with mock.patch.object(requests.Session, "send", losing):
        yield lost


def outcomes(kit: Kit) -> list[Outcome]:
    app = kit.application
    verdict = Verdict(overall=4.2, recommendation="yes", reviewers=("Ann",),
                      review_url="https://connector.test/review/x")
    return [
        Outcome("invited", app["application_id"], app["candidate_id"],
                "Invited. Ref: IV-000001 (invited)", "IV-000001 (invited)"),
        Outcome("scores", app["application_id"], app["candidate_id"],
                "Scored. Ref: IV-000001 (scores)", "IV-000001 (scores)", result=verdict),
    ]


def check_written_once(manifest: Manifest, kit: Kit, outcome: Outcome) -> None:
    """A note whose first attempt wrote but lost its answer is written exactly once."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        fake = kit.fake(mocked)
        app = kit.application
        fake.add_application(app["application_id"], app["candidate_id"], app["stage"])
        notes = lambda: fake.notes_on(app["application_id"], app["candidate_id"])  # noqa: E731
        with answers_lost_once(notes) as lost, pytest.raises(ApiError):
            write(adapter(manifest, kit), outcome, first_attempt=True)
        assert lost and len(notes()) == 1, "the first attempt wrote no note"
        write(adapter(manifest, kit), outcome, first_attempt=False)
        notes = notes()
        assert [outcome.marker in note for note in notes].count(True) == 1


def check_moves(manifest: Manifest, kit: Kit) -> None:
    """A move goes once, only from the stage read just before, and never silently nowhere."""
    app = kit.application
    move = Outcome("move", app["application_id"], app["candidate_id"], "", "IV-1 (move)",
                   move_to_stage=app["target"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        fake = kit.fake(mocked)
        fake.add_application(app["application_id"], app["candidate_id"], app["stage"])
        with answers_lost_once(lambda: fake.stage(app["application_id"])) as lost, \
                pytest.raises(ApiError):
            write(adapter(manifest, kit), move, first_attempt=True)
        assert lost
        assert fake.stage(app["application_id"]) == app["target"]  # it reached the ATS
        assert write(adapter(manifest, kit), move, first_attempt=False) == app["target"]
        assert fake.stage(app["application_id"]) == app["target"]

        # A recruiter moves the card between our read and our move: the ATS refuses ours, and
        # the refusal says so (Superseded), since theirs stands and nothing needs mending.
        fake.set_stage(app["application_id"], app["stage"])
        ats = adapter(manifest, kit)
        read = ats.current_stage
        ats.current_stage = lambda application_id: (
            read(application_id), fake.set_stage(application_id, app["elsewhere"]))[0]
        with pytest.raises(Superseded, match=f"left stage {app['stage']}"):
            write(ats, move, first_attempt=True)
        assert fake.stage(app["application_id"]) == app["elsewhere"]

        # A stage that cannot be read is a failure the admin sees, not a move reported done.
        ats = adapter(manifest, kit)
        ats.current_stage = lambda application_id: None
        with pytest.raises(Invalid, match="could not be read"):
            write(ats, replace(move, move_to_stage=app["stage"]), first_attempt=True)
        assert fake.stage(app["application_id"]) == app["elsewhere"]
