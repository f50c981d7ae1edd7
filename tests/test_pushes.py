"""Pushes to the ATS: every answer Greenhouse can give, the shared rate limit, the token cache,
and `connector pushes list` / `retry`. Greenhouse is faked with responses."""

from __future__ import annotations

import json
from dataclasses import asdict
from urllib.parse import urlsplit

import pytest
import requests
import responses
from click.testing import CliRunner
from redis import Redis
from rq import Queue

from adapters.events import Outcome
from adapters.greenhouse import MANIFEST
from adapters.greenhouse.client import GreenhouseClient
from adapters.http import RateLimitInfo
from connector.cli import main
from connector.models import Installation, InstallationStatus, OutboxStatus, Push, utcnow
from jobs.pushes import PATIENCE_SECONDS, SealedTokens, deliver_push, pushing
from jobs.ratelimit import MemoryStore, RedisStore
from tests.conftest import make_installation, row_counts
from tests.fakes.greenhouse import BASE_URL, CREDENTIALS

NOTES = f"{BASE_URL}/v3/notes"
TOKEN, CREATE, LIST = "POST /token", "POST /v3/notes", "GET /v3/notes"
BUDGET = MANIFEST.rate_limit  # Greenhouse's: calls per window of WINDOW seconds
WINDOW = BUDGET[1]


def add_push(services, installation, n: int = 1, **fields) -> int:
    """A pending note for the documented candidate, as the invitation flow writes it."""
    outcome = Outcome("invited", "69306314", "265772", f"Invited. [test {n}]", f"[test {n}]")
    with services.db.session() as session:
        push = Push(installation_id=installation["id"], kind="invited", dedupe_key=f"test:{n}",
                    payload=asdict(outcome), **fields)
        session.add(push)
        session.flush()
        return push.id


def row(services, push_id: int) -> Push:
    with services.db.session() as session:
        return session.get(Push, push_id)


def installation_row(services, installation) -> Installation:
    with services.db.session() as session:
        return session.get(Installation, installation["id"])


def calls(greenhouse) -> list[str]:
    """Every request the ATS received, in order: method and path."""
    return [f"{c.request.method} {urlsplit(c.request.url).path}" for c in greenhouse.mock.calls]


def make_due(services, push_id: int) -> None:
    with services.db.session() as session:
        session.get(Push, push_id).next_attempt_at = utcnow()


def seconds_until(moment) -> float:
    return (moment - utcnow()).total_seconds()


# --- each answer Greenhouse can give -------------------------------------------------------

def test_a_2xx_delivers_the_note(services, installation, greenhouse):
    push_id = add_push(services, installation)
    deliver_push(push_id)
    push = row(services, push_id)
    assert (push.status, push.attempts, push.last_error, push.external_id) == (
        OutboxStatus.DELIVERED, 1, None, "1000")
    assert calls(greenhouse) == [TOKEN, CREATE]
    assert greenhouse.notes[0]["body"] == "Invited. [test 1]"


@pytest.mark.parametrize("status, error, expected_calls", [
    (401, "Unauthorized", [TOKEN, CREATE, TOKEN, CREATE]),  # one retry with a fresh token
    (403, "Unauthorized", [TOKEN, CREATE]),
    (404, "NotFound", [TOKEN, CREATE]),
    (422, "Invalid", [TOKEN, CREATE]),
])
def test_a_refusal_stops_and_flags_the_installation(services, installation, greenhouse, status,
                                                   error, expected_calls):
    greenhouse.fail_next(status, times=2)
    push_id = add_push(services, installation)
    created = row(services, push_id).next_attempt_at
    deliver_push(push_id)
    push = row(services, push_id)
    assert (push.status, push.attempts) == (OutboxStatus.FAILED, 1)
    assert f"POST /v3/notes: HTTP {status}" in push.last_error
    assert push.next_attempt_at == created  # no next attempt
    assert calls(greenhouse) == expected_calls
    inst = installation_row(services, installation)
    assert inst.status is InstallationStatus.NEEDS_ATTENTION
    assert inst.attention_reason.startswith(f"{error}: POST /v3/notes: HTTP {status}")


def test_a_429_waits_for_retry_after_and_holds_every_push(services, installation, greenhouse):
    greenhouse.fail_next(429, {"Retry-After": "30"})
    push_id = add_push(services, installation)
    deliver_push(push_id)
    push = row(services, push_id)
    assert (push.status, push.attempts) == (OutboxStatus.PENDING, 1)
    assert "HTTP 429" in push.last_error
    assert 28 < seconds_until(push.next_attempt_at) <= 30
    assert calls(greenhouse) == [TOKEN, CREATE]
    # Another push of the installation, due now, waits out the same Retry-After untried.
    other = add_push(services, installation, 2)
    deliver_push(other)
    assert calls(greenhouse) == [TOKEN, CREATE]
    later = row(services, other)
    assert (later.status, later.attempts, later.last_error) == (OutboxStatus.PENDING, 0, None)
    assert 28 < seconds_until(later.next_attempt_at) <= 30
    assert installation_row(services, installation).status is InstallationStatus.ACTIVE


def test_a_5xx_backs_off_then_the_retry_delivers_once(services, installation, greenhouse):
    greenhouse.fail_next(503)
    push_id = add_push(services, installation)
    deliver_push(push_id)
    push = row(services, push_id)
    assert (push.status, push.attempts) == (OutboxStatus.PENDING, 1)
    assert "HTTP 503" in push.last_error
    assert 14 < seconds_until(push.next_attempt_at) <= 30  # backoff: 15-30 s after attempt 1
    make_due(services, push_id)
    deliver_push(push_id)
    push = row(services, push_id)
    assert (push.status, push.attempts, push.last_error) == (OutboxStatus.DELIVERED, 2, None)
    # The retry looks for its marker before writing; the token is reused from the cache.
    assert calls(greenhouse) == [TOKEN, CREATE, LIST, CREATE]
    assert len(greenhouse.notes) == 1


def test_a_timeout_is_temporary(services, installation, greenhouse):
    greenhouse.mock.replace(responses.POST, NOTES, body=requests.ReadTimeout("read timed out"))
    push_id = add_push(services, installation)
    deliver_push(push_id)
    push = row(services, push_id)
    assert (push.status, push.attempts) == (OutboxStatus.PENDING, 1)
    assert push.last_error == "POST /v3/notes: timed out"
    assert 14 < seconds_until(push.next_attempt_at) <= 30
    assert calls(greenhouse) == [TOKEN, CREATE]
    assert installation_row(services, installation).status is InstallationStatus.ACTIVE


def test_the_last_attempt_fails_without_flagging_the_installation(services, installation,
                                                                  greenhouse):
    greenhouse.fail_next(500)
    push_id = add_push(services, installation, attempts=9)
    deliver_push(push_id)
    push = row(services, push_id)
    assert (push.status, push.attempts) == (OutboxStatus.FAILED, 10)
    assert calls(greenhouse) == [TOKEN, LIST, CREATE]
    assert installation_row(services, installation).status is InstallationStatus.ACTIVE


# --- the rate limit ------------------------------------------------------------------------

def test_no_free_slot_means_no_call_and_no_attempt(services, installation, greenhouse):
    limiter = pushing(services).limiter
    assert limiter.acquire(installation["public_id"], BUDGET, cost=BUDGET[0]) == 0
    push_id = add_push(services, installation)
    deliver_push(push_id)
    push = row(services, push_id)
    assert (push.status, push.attempts, push.last_error) == (OutboxStatus.PENDING, 0, None)
    assert WINDOW - 1 < seconds_until(push.next_attempt_at) <= WINDOW  # the oldest slot frees
    assert push.lease_until is None
    assert calls(greenhouse) == []


def test_a_hold_shorter_than_the_patience_is_waited_out_not_deferred(services, installation,
                                                                     greenhouse):
    info = RateLimitInfo(status=429, retry_after=PATIENCE_SECONDS / 4)
    pushing(services).limiter.observe(installation["public_id"], BUDGET, info)
    push_id = add_push(services, installation)
    deliver_push(push_id)
    assert row(services, push_id).status is OutboxStatus.DELIVERED
    assert calls(greenhouse) == [TOKEN, CREATE]


def test_the_budget_is_per_installation(services, installation, greenhouse):
    other = make_installation(services, ["Assessment"], name="Second")
    pushing(services).limiter.acquire(other["public_id"], BUDGET, cost=BUDGET[0])
    push_id = add_push(services, installation)
    deliver_push(push_id)
    assert row(services, push_id).status is OutboxStatus.DELIVERED


def reply_with(greenhouse, **headers) -> None:
    greenhouse.mock.replace(responses.POST, NOTES, json={"id": 7}, status=201,
                            headers={k.replace("_", "-"): v for k, v in headers.items()})


def test_remaining_zero_from_greenhouse_is_honoured(services, installation, greenhouse):
    reply_with(greenhouse, X_RateLimit_Limit="50", X_RateLimit_Remaining="0")
    first, second = add_push(services, installation, 1), add_push(services, installation, 2)
    deliver_push(first)
    deliver_push(second)
    assert row(services, first).status is OutboxStatus.DELIVERED
    push = row(services, second)
    assert (push.status, push.attempts) == (OutboxStatus.PENDING, 0)
    assert WINDOW - 1 < seconds_until(push.next_attempt_at) <= WINDOW
    assert calls(greenhouse) == [TOKEN, CREATE]


def test_a_lower_limit_from_greenhouse_is_honoured(services, installation, greenhouse):
    reply_with(greenhouse, X_RateLimit_Limit="2", X_RateLimit_Remaining="1")
    ids = [add_push(services, installation, n) for n in (1, 2, 3)]
    for push_id in ids:
        deliver_push(push_id)
    assert [row(services, i).status for i in ids] == [
        OutboxStatus.DELIVERED, OutboxStatus.DELIVERED, OutboxStatus.PENDING]
    assert calls(greenhouse) == [TOKEN, CREATE, CREATE]


# --- the token cache -----------------------------------------------------------------------

def test_the_token_is_stored_encrypted_on_redis_and_shared(redis_url, services, greenhouse):
    connection = Redis.from_url(redis_url)
    cache = SealedTokens(RedisStore(connection), services.keyring)
    for text in ("first", "second"):
        client = GreenhouseClient.from_credentials(CREDENTIALS, strict_hosts=False,
                                                   token_cache=cache)
        client.create_note("265772", text)
    assert calls(greenhouse) == [TOKEN, CREATE, CREATE]
    (key,) = connection.keys("connector:ats-token:*")
    assert b"token-1" not in connection.get(key) and b"client-123" not in key
    assert 3500 < connection.ttl(key) <= 3600


def test_a_refused_shared_token_is_replaced(services, greenhouse):
    cache = SealedTokens(MemoryStore(), services.keyring)
    cache_key = GreenhouseClient.from_credentials(CREDENTIALS, strict_hosts=False).auth.cache_key
    cache.set(cache_key, "token-revoked", utcnow().timestamp() + 3600)
    client = GreenhouseClient.from_credentials(CREDENTIALS, strict_hosts=False, token_cache=cache)
    client.create_note("265772", "x")
    assert calls(greenhouse) == [CREATE, TOKEN, CREATE]
    assert cache.get(cache_key)[0] == "token-1"


# --- connector pushes list / retry ---------------------------------------------------------

@pytest.fixture
def env(settings):
    return {"DATABASE_URL": settings.database_url, "SECRET_KEYS": settings.secret_keys[0],
            "PUBLIC_BASE_URL": settings.public_base_url,
            "CONNECTOR_DATA_DIR": str(settings.data_dir), "REDIS_URL": "", "SMTP_URL": ""}


def run(env, *args):
    return CliRunner().invoke(main, ["pushes", *args], env=env, catch_exceptions=False)


def failed_push(services, installation, n: int) -> int:
    push_id = add_push(services, installation, n, status=OutboxStatus.FAILED, attempts=3,
                       last_error="POST /v3/notes: HTTP 404 gone")
    with services.db.session() as session:
        inst = session.get(Installation, installation["id"])
        inst.status, inst.attention_reason = InstallationStatus.NEEDS_ATTENTION, "NotFound: gone"
    return push_id


def test_list_prints_every_push_as_json(env, services, installation, greenhouse):
    delivered = add_push(services, installation, 1)
    deliver_push(delivered)
    failed = failed_push(services, installation, 2)
    result = run(env, "list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [p["id"] for p in listed] == [failed, delivered]
    assert listed[0] == {
        "id": failed, "installation": installation["public_id"], "kind": "invited",
        "status": "failed", "attempts": 3, "last_error": "POST /v3/notes: HTTP 404 gone",
        "next_attempt_at": row(services, failed).next_attempt_at.isoformat(),
        "created_at": row(services, failed).created_at.isoformat()}
    assert [p["id"] for p in json.loads(run(env, "list", "--failed", "--json").stdout)] == [failed]
    assert json.loads(run(env, "list", "--installation", "inst_nope", "--json").stdout) == []
    assert f"{failed}  failed" in run(env, "list").stdout


def test_retry_delivers_a_failed_push_and_clears_the_flag(env, services, installation,
                                                          greenhouse):
    push_id = failed_push(services, installation, 1)
    result = run(env, "retry", str(push_id))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert (printed["id"], printed["status"], printed["attempts"]) == (push_id, "delivered", 4)
    assert printed["installation_status"] == "active"
    assert calls(greenhouse) == [TOKEN, LIST, CREATE]  # not the first attempt: look first
    assert installation_row(services, installation).attention_reason is None


def test_retry_keeps_attempts_and_error_and_enqueues(env, redis_url, services, installation):
    first, second = (failed_push(services, installation, n) for n in (1, 2))
    result = run(dict(env, REDIS_URL=redis_url), "retry", str(first))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert (printed["status"], printed["attempts"], printed["last_error"]) == (
        "pending", 3, "POST /v3/notes: HTTP 404 gone")
    assert seconds_until(row(services, first).next_attempt_at) <= 0
    queued = Queue("default", connection=Redis.from_url(redis_url)).jobs
    assert [(job.func_name, job.args) for job in queued] == [("jobs.pushes.deliver_push",
                                                             (first,))]
    # Another push of the installation is still failed: it still needs attention.
    assert printed["installation_status"] == "needs_attention"
    run(dict(env, REDIS_URL=redis_url), "retry", str(second))
    assert installation_row(services, installation).status is InstallationStatus.ACTIVE


@pytest.mark.parametrize("status", [OutboxStatus.PENDING, OutboxStatus.DELIVERED])
def test_retry_refuses_a_push_that_has_not_stopped(env, services, installation, status):
    push_id = add_push(services, installation, status=status)
    before = row(services, push_id)
    result = run(env, "retry", str(push_id))
    assert result.exit_code == 1
    assert f"push {push_id} is {status.value}; only a failed or held push" in result.output
    after = row(services, push_id)
    assert (after.status, after.next_attempt_at) == (before.status, before.next_attempt_at)


def test_retry_of_an_unknown_or_malformed_id_writes_nothing(env, services, installation):
    failed_push(services, installation, 1)
    before = row_counts(services)
    result = run(env, "retry", "999")
    assert result.exit_code == 1 and "Error: no push 999" in result.output
    assert run(env, "retry", "abc").exit_code == 2
    assert row_counts(services) == before
    assert installation_row(services, installation).status is InstallationStatus.NEEDS_ATTENTION
