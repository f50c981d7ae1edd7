"""The Harvest v3 client against the documented contract, faked with responses."""

from __future__ import annotations

import pytest
import requests
import responses

from adapters.greenhouse.client import (
    API_KEY_RETIRED, DEFAULT_TOKEN_URL, GreenhouseClient, credential_problems,
)
from adapters.http import HostNotAllowed, Invalid, NotFound, RateLimited, Temporary, Unauthorized
from tests.fakes.greenhouse import BASE_URL, CREDENTIALS, TOKEN_URL, USER_ID, FakeGreenhouse


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGreenhouse(mock)


def client(credentials=CREDENTIALS, base_url=None, strict=False) -> GreenhouseClient:
    return GreenhouseClient.from_credentials(credentials, base_url, strict_hosts=strict)


def test_create_note_fetches_one_token_and_reuses_it(fake):
    gh = client()
    assert gh.create_note("265772", "first") == "1000"
    assert gh.create_note("265772", "second") == "1001"
    kinds = [c["kind"] for c in fake.calls]
    assert kinds == ["token", "create_note", "create_note"]
    assert fake.calls[0] == {"kind": "token", "client_id": "client-123",
                             "form": {"grant_type": "client_credentials", "sub": USER_ID}}
    assert fake.notes[0] == {"id": 1000, "candidate_id": 265772, "body": "first",
                             "visibility": "admin_only", "note_type": "NOTE"}


def test_the_fake_refuses_a_note_without_its_type(fake):
    gh = client()
    with pytest.raises(Invalid) as refused:
        gh.request("POST", "/v3/notes", json={"candidate_id": 1, "body": "x",
                                              "visibility": "admin_only"})
    assert refused.value.status == 422 and fake.notes == []


def test_find_note_filters_by_candidate_ids(fake):
    gh = client()
    gh.create_note("5", "x [m-1] y")
    gh.create_note("6", "x [m-2] y")
    assert gh.find_note("5", "[m-1]") == "1000"
    assert gh.find_note("5", "[m-2]") is None  # candidate 6's note is not listed
    assert fake.calls[-1]["query"] == {"candidate_ids": "5", "per_page": "100"}


def test_the_fake_refuses_the_singular_candidate_filter(fake):
    with pytest.raises(Invalid) as refused:
        client().request("GET", "/v3/notes?candidate_id=5")
    assert refused.value.status == 422


def test_an_expired_token_is_replaced_once(fake):
    gh = client()
    gh.create_note("1", "a")
    gh.auth._token = "token-revoked"  # Greenhouse no longer accepts it
    gh.create_note("1", "b")
    assert [c["kind"] for c in fake.calls] == [
        "token", "create_note", "create_note", "token", "create_note"]
    assert len(fake.notes) == 2


def test_wrong_client_secret_is_unauthorized(fake):
    with pytest.raises(Unauthorized, match="invalid_client"):
        client(dict(CREDENTIALS, client_secret="nope")).create_note("1", "x")
    assert fake.notes == []


def test_an_api_key_alone_is_refused_before_any_call(fake):
    with pytest.raises(Unauthorized, match="Harvest API key stopped working"):
        client({"api_key": "api-key-1", "user_id": "9"})
    assert fake.calls == []


def test_the_token_url_is_an_optional_credential():
    assert client().auth.token_url == DEFAULT_TOKEN_URL
    eu = dict(CREDENTIALS, token_url="https://eu.auth.greenhouse.io/token")
    assert client(eu, strict=True).auth.token_url == "https://eu.auth.greenhouse.io/token"


def test_find_note_follows_the_cursor_link():
    with responses.RequestsMock() as mock:
        mock.post(TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
        mock.get(f"{BASE_URL}/v3/notes?candidate_ids=5&per_page=100",
                 json=[{"id": 1, "body": "other"}],
                 headers={"Link": f'<{BASE_URL}/v3/notes?cursor=abc>; rel="next"'})
        mock.get(f"{BASE_URL}/v3/notes?cursor=abc", json=[{"id": 2, "body": "x [m-1] y"}])
        assert client().find_note("5", "[m-1]") == "2"


def test_find_note_refuses_a_next_link_to_another_host():
    with responses.RequestsMock() as mock:
        mock.post(TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
        mock.get(f"{BASE_URL}/v3/notes?candidate_ids=5&per_page=100", json=[],
                 headers={"Link": '<https://evil.example/v3/notes?cursor=abc>; rel="next"'})
        with pytest.raises(HostNotAllowed):
            client().find_note("5", "[m-1]")


@pytest.mark.parametrize("status, headers, error", [
    (403, {}, Unauthorized),
    (404, {}, NotFound),
    (422, {}, Invalid),
    (429, {"Retry-After": "17"}, RateLimited),
    (500, {}, Temporary),
    (503, {}, Temporary),
])
def test_errors_map_to_the_typed_family(fake, status, headers, error):
    fake.fail_next(status, headers)
    with pytest.raises(error) as caught:
        client().create_note("1", "x")
    assert caught.value.status == status
    if status == 429:
        assert caught.value.retry_after == 17


def test_a_timeout_is_temporary():
    with responses.RequestsMock() as mock:
        mock.post(TOKEN_URL, body=requests.exceptions.ConnectTimeout())
        with pytest.raises(Temporary):
            client().create_note("1", "x")


def test_production_accepts_only_greenhouse_hosts():
    client(base_url="https://harvest.greenhouse.io", strict=True)
    client(base_url="https://harvest.eu.greenhouse.io", strict=True)
    for bad in ("http://harvest.greenhouse.io", "https://greenhouse.io.evil.example",
                "https://127.0.0.1:8443", "https://user@harvest.greenhouse.io"):
        with pytest.raises(HostNotAllowed):
            client(base_url=bad, strict=True)
    with pytest.raises(HostNotAllowed):
        client(dict(CREDENTIALS, token_url="https://evil.example/token"), strict=True)
    client(base_url="http://127.0.0.1:8999", strict=False)  # tests and local fakes


@pytest.mark.parametrize("credentials, problem", [
    ({"user_id": "1"}, "client_id and client_secret are required"),
    ({"client_id": "a", "user_id": "1"}, "client_id and client_secret go together"),
    ({"api_key": "k", "user_id": "1"}, API_KEY_RETIRED),
    ({"client_id": "a", "client_secret": "b"},
     "user_id (the Greenhouse user notes are written as) is required"),
    ({"client_id": "a", "client_secret": "b", "user_id": "me"}, "user_id must be the numeric id"),
])
def test_credential_problems_are_named(credentials, problem):
    assert any(p.startswith(problem) for p in credential_problems(credentials))


def test_the_retired_api_key_is_named_in_words():
    assert API_KEY_RETIRED == (
        "the Harvest API key stopped working when Harvest v1/v2 were retired on 2026-08-31: "
        "enter OAuth client credentials (client_id and client_secret)")


def test_complete_credentials_have_no_problems():
    assert credential_problems(CREDENTIALS) == []
