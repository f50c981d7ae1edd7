"""Harvest v3's rate limit: a fixed 30-second window told in X-RateLimit-Limit, -Remaining and
-Reset, a 429 with Retry-After beyond it [3P]; read by the client, followed by the limiter."""

from __future__ import annotations

import time

import pytest
import requests
import responses

from adapters.greenhouse.client import GreenhouseClient
from adapters.http import Invalid, RateLimited, RateLimitInfo, rate_limit_info, reset_seconds
from jobs.ratelimit import RateLimiter
from tests.fakes.greenhouse import BASE_URL, CREDENTIALS, TOKEN_URL
from tests.fakes.greenhouse_server import RateLimitedGreenhouse

BUDGET = (50, 30)


def answer(status: int = 200, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update({k.replace("_", "-"): v for k, v in headers.items()})
    return response


@pytest.mark.parametrize("value, seconds", [
    ("12", 12.0),
    ("0", 0.0),
    ("2.5", 2.5),
    ("1700000030", 30.0),  # a Unix time: the window ends 30 s after `now`
    ("1699999990", 0.0),  # a Unix time already past
    ("soon", None),
    ("-3", None),
    ("", None),
    (None, None),
])
def test_reset_is_read_as_seconds_or_as_a_unix_time(value, seconds):
    assert reset_seconds(value, now=1_700_000_000) == seconds


def test_rate_limit_info_reads_all_three_headers():
    info = rate_limit_info(answer(X_RateLimit_Limit="75", X_RateLimit_Remaining="0",
                                  X_RateLimit_Reset="17"))
    assert info == RateLimitInfo(status=200, limit=75, remaining=0, reset=17.0)
    assert rate_limit_info(answer(X_RateLimit_Reset="17")).reset == 17.0
    assert rate_limit_info(answer()) is None


def test_none_remaining_holds_the_key_until_the_reset():
    now = [1000.0]
    limiter = RateLimiter.in_memory(clock=lambda: now[0])
    limiter.observe("inst_a", BUDGET, RateLimitInfo(status=201, limit=75, remaining=0, reset=12))
    assert limiter.acquire("inst_a", BUDGET) == 12
    now[0] += 12
    assert limiter.held_for("inst_a") == 0


def test_calls_left_mean_no_hold_whatever_the_reset():
    limiter = RateLimiter.in_memory()
    limiter.observe("inst_a", BUDGET, RateLimitInfo(status=200, limit=75, remaining=3, reset=29))
    assert limiter.held_for("inst_a") == 0
    assert limiter.acquire("inst_a", BUDGET) == 0


def test_a_429_without_retry_after_waits_for_the_reset():
    now = [1000.0]
    limiter = RateLimiter.in_memory(clock=lambda: now[0])
    limiter.observe("inst_a", BUDGET, RateLimitInfo(status=429, reset=7))
    assert limiter.held_for("inst_a") == 7
    limiter.observe("inst_b", BUDGET, RateLimitInfo(status=429, retry_after=9, reset=7))
    assert limiter.held_for("inst_b") == 9  # Retry-After says it outright


def test_a_reset_beyond_one_window_is_held_to_a_window():
    now = [1000.0]
    limiter = RateLimiter.in_memory(clock=lambda: now[0])
    limiter.observe("inst_a", BUDGET, RateLimitInfo(status=200, remaining=0, reset=86400))
    assert limiter.held_for("inst_a") == 30


def test_the_client_reports_what_greenhouse_said_to_the_limiter():
    limiter = RateLimiter.in_memory(clock=lambda: 1000.0)
    with responses.RequestsMock() as mock:
        mock.post(TOKEN_URL, json={"access_token": "t", "expires_in": 3600},
                  headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "60"})
        mock.post(f"{BASE_URL}/v3/notes", json={"id": 7}, status=201, headers={
            "X-RateLimit-Limit": "75", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "20"})
        gh = GreenhouseClient.from_credentials(
            CREDENTIALS, strict_hosts=False,
            on_rate_limit=lambda info: limiter.observe("inst_a", BUDGET, info))
        gh.create_note("1", "x")
    # The note's answer, not the token's: token requests count on a window of their own.
    assert limiter.acquire("inst_a", BUDGET) == 20


# --- the loopback fake counts as v3 does --------------------------------------------------

@pytest.fixture
def server():
    servers = []

    def start(**kwargs) -> RateLimitedGreenhouse:
        servers.append(RateLimitedGreenhouse(**kwargs).start())
        return servers[-1]
    yield start
    for running in servers:
        running.stop()


def loopback_client(fake: RateLimitedGreenhouse, seen: list) -> GreenhouseClient:
    return GreenhouseClient.from_credentials(fake.credentials, fake.url, strict_hosts=False,
                                             on_rate_limit=seen.append)


def test_the_loopback_fake_counts_in_fixed_30_second_windows(server):
    fake, seen = server(limit=2), []
    gh = loopback_client(fake, seen)
    gh.create_note("1", "a")
    gh.create_note("1", "b")
    with pytest.raises(RateLimited) as refused:
        gh.find_note("1", "c")
    assert [(i.status, i.limit, i.remaining) for i in seen] == [(201, 2, 1), (201, 2, 0),
                                                                 (429, 2, 0)]
    assert all(25 < i.reset <= 30 for i in seen)
    assert refused.value.retry_after == seen[-1].reset and fake.throttled == 1


def test_the_loopback_window_starts_afresh_when_it_resets(server):
    fake, seen = server(limit=1, per=0.5), []
    gh = loopback_client(fake, seen)
    gh.find_note("1", "a")
    with pytest.raises(RateLimited):
        gh.find_note("1", "a")
    time.sleep(0.5)
    assert gh.find_note("1", "a") is None  # a new window, a full budget
    assert seen[-1].remaining == 0


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/v3/notes?candidate_id=1", None),
    ("POST", "/v3/notes", {"candidate_id": 1, "body": "x", "visibility": "admin_only"}),
])
def test_the_loopback_fake_refuses_what_v3_refuses(server, method, path, body):
    gh = loopback_client(server(), [])
    with pytest.raises(Invalid) as refused:
        gh.request(method, path, json=body)
    assert refused.value.status == 422


def test_the_loopback_fake_lists_by_candidate_ids(server):
    fake = server()
    gh = loopback_client(fake, [])
    gh.create_note("1", "one [m]")
    gh.create_note("2", "two [m]")
    assert gh.find_note("2", "[m]") == "1001"
