"""The sandbox REST contract, from the client's side, faked with responses; and writes on top."""

from __future__ import annotations

import json
import re

import pytest
import requests
import responses

from adapters.contract import Connection
from adapters.events import Outcome, Verdict
from adapters.http import HostNotAllowed, Invalid, NotFound, RateLimited, Temporary, Unauthorized
from adapters.sandbox import MANIFEST
from adapters.sandbox.adapter import SandboxAdapter
from adapters.sandbox.client import SandboxClient
from jobs.writeback import write

BASE = "http://ats.test/sandbox/api"
KEY = "key-123"
AUTH = responses.matchers.header_matcher({"Authorization": f"Bearer {KEY}"})


@pytest.fixture
def mock():
    with responses.RequestsMock() as fake:
        yield fake


def client(**kwargs) -> SandboxClient:
    return SandboxClient.from_credentials({"api_key": KEY}, BASE, strict_hosts=False, **kwargs)


def adapter() -> SandboxAdapter:
    return MANIFEST.build(Connection(webhook_secret="", credentials={"api_key": KEY},
                                     api_base_url=BASE, strict_hosts=False))


def sent(call) -> dict:
    return json.loads(call.request.body)


def test_create_note_posts_the_body_with_the_bearer_key(mock):
    mock.post(f"{BASE}/applications/app-1/notes", json={"id": 7, "body": "hi"}, status=201,
              match=[AUTH, responses.matchers.json_params_matcher({"body": "hi"})])
    assert client().create_note("app-1", "hi") == "7"


def test_find_note_returns_the_note_with_the_marker(mock):
    mock.get(f"{BASE}/applications/app-1/notes", match=[AUTH],
             json=[{"id": 1, "body": "other"}, {"id": 2, "body": "x [m-1] y"}])
    assert client().find_note("app-1", "[m-1]") == "2"
    assert client().find_note("app-1", "[m-2]") is None


def test_fields_and_move(mock):
    fields = mock.put(f"{BASE}/applications/app-1/fields", json={}, match=[AUTH])
    mock.get(f"{BASE}/applications/app-1", json={"id": "app-1", "stage_id": "screen"},
             match=[AUTH])
    move = mock.post(f"{BASE}/applications/app-1/move", json={}, match=[AUTH])
    client().set_fields("app-1", {"score": 4.5, "recommendation": "yes"})
    assert client().stage("app-1") == "screen"
    client().move("app-1", "screen", "interview")
    assert sent(fields.calls[0]) == {"score": 4.5, "recommendation": "yes"}
    assert sent(move.calls[0]) == {"stage_id": "interview", "from_stage_id": "screen"}


def test_an_id_cannot_leave_its_path_segment(mock):
    mock.get(re.compile(r"http://ats\.test/.*"), json=[])
    client().find_note("../x.", "m")
    assert mock.calls[0].request.url == f"{BASE}/applications/..%2Fx./notes"
    for dots in ("..", ".", ""):
        with pytest.raises(Invalid):
            client().find_note(dots, "m")
    assert len(mock.calls) == 1


@pytest.mark.parametrize("status, error", [
    (401, Unauthorized), (403, Unauthorized), (404, NotFound), (422, Invalid), (500, Temporary),
    (503, Temporary),
])
def test_statuses_map_to_the_error_family(mock, status, error):
    mock.post(f"{BASE}/applications/app-1/notes", status=status, json={"error": "x"})
    with pytest.raises(error) as caught:
        client().create_note("app-1", "hi")
    assert caught.value.status == status


def test_a_429_carries_retry_after_and_reports_the_budget(mock):
    seen = []
    mock.post(f"{BASE}/applications/app-1/notes", status=429,
              headers={"Retry-After": "12", "X-RateLimit-Limit": "100",
                       "X-RateLimit-Remaining": "0"})
    with pytest.raises(RateLimited) as caught:
        client(on_rate_limit=seen.append).create_note("app-1", "hi")
    assert caught.value.retry_after == 12
    assert (seen[0].status, seen[0].limit, seen[0].remaining) == (429, 100, 0)


def test_timeouts_and_dropped_connections_are_temporary(mock):
    mock.post(f"{BASE}/applications/app-1/notes", body=requests.Timeout())
    mock.get(f"{BASE}/applications/app-1/notes", body=requests.ConnectionError())
    with pytest.raises(Temporary):
        client().create_note("app-1", "hi")
    with pytest.raises(Temporary):
        client().find_note("app-1", "m")


def test_a_missing_key_or_base_url_or_a_strict_host_is_refused():
    with pytest.raises(Unauthorized):
        SandboxClient.from_credentials({}, BASE, strict_hosts=False)
    with pytest.raises(HostNotAllowed):
        SandboxClient.from_credentials({"api_key": KEY}, None, strict_hosts=False)
    with pytest.raises(HostNotAllowed):  # production: no host is allowed for the sandbox
        SandboxClient.from_credentials({"api_key": KEY}, "https://ats.example.com/api",
                                       strict_hosts=True)


NOTE = Outcome("completed", "app-1", "cand-1", "Interview completed. [m-1]", "[m-1]")


def test_push_writes_a_note_on_the_first_attempt(mock):
    mock.post(f"{BASE}/applications/app-1/notes", json={"id": 9}, status=201)
    assert write(adapter(), NOTE, first_attempt=True) == "9"
    assert sent(mock.calls[0]) == {"body": NOTE.text}


def test_a_retry_finds_the_note_an_earlier_attempt_wrote(mock):
    mock.get(f"{BASE}/applications/app-1/notes", json=[{"id": 9, "body": NOTE.text}])
    assert write(adapter(), NOTE, first_attempt=False) == "9"
    assert len(mock.calls) == 1  # nothing written again


def test_a_retry_writes_the_note_when_none_has_the_marker(mock):
    mock.get(f"{BASE}/applications/app-1/notes", json=[{"id": 3, "body": "other"}])
    mock.post(f"{BASE}/applications/app-1/notes", json={"id": 10}, status=201)
    assert write(adapter(), NOTE, first_attempt=False) == "10"


def test_a_result_fills_the_fields_after_the_note(mock):
    mock.post(f"{BASE}/applications/app-1/notes", json={"id": 9}, status=201)
    fields = mock.put(f"{BASE}/applications/app-1/fields", json={})
    result = Verdict(overall=3.6667, recommendation="yes", review_url="http://x/review/shared/t")
    write(adapter(), Outcome("scores", "app-1", "cand-1", "Scores [s]", "[s]", result=result),
          first_attempt=True)
    assert sent(fields.calls[0]) == {"score": 3.67, "recommendation": "yes",
                                     "review_url": "http://x/review/shared/t"}


def test_a_move_outcome_moves_the_application(mock):
    mock.get(f"{BASE}/applications/app-1", json={"id": "app-1", "stage_id": "screen"})
    move = mock.post(f"{BASE}/applications/app-1/move", json={})
    outcome = Outcome("move", "app-1", "cand-1", "", "[move]", move_to_stage="interview")
    assert write(adapter(), outcome, first_attempt=True) == "interview"
    assert sent(move.calls[-1]) == {"stage_id": "interview", "from_stage_id": "screen"}
    with pytest.raises(Invalid):
        write(adapter(), Outcome("move", "app-1", "cand-1", "", "[move]"), first_attempt=True)
