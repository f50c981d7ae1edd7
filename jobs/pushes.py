"""Deliver one outbox row to its ATS, retrying what may pass later and stopping on what won't."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from adapters import get_adapter
from adapters.contract import Adapter, Tools
from adapters.errors import ApiError, RateLimited, Superseded
from adapters.events import Outcome
from connector import tasks
from connector.crypto import InvalidToken, Keyring
from connector.installations import adapter_for
from connector.models import Installation, InstallationStatus, OutboxStatus, Push, utcnow
from connector.services import current
from jobs import failures
from jobs.claims import backoff_seconds, claim_now
from jobs.queue import RedisQueue
from jobs.ratelimit import MemoryStore, RateLimiter, RedisStore
from jobs.writeback import write

log = logging.getLogger("connector.jobs")

MAX_ATTEMPTS = 10
MIN_RETRY_AFTER_SECONDS = 1.0  # a "Retry-After: 0" must not turn into a tight loop
# A job re-timed for later runs on a whole second, once the scheduler's next one-second tick
# moves it, behind a new turn: a slot due sooner than this is waited for in the job instead.
PATIENCE_SECONDS = 1.0
JOB = tasks.DELIVER_PUSH


class SealedTokens:
    """ATS tokens shared by every work horse: encrypted at rest, gone when they expire."""

    def __init__(self, store: MemoryStore | RedisStore, keyring: Keyring):
        self.store = store
        self.keyring = keyring

    def get(self, key: str) -> tuple[str, float] | None:
        """The token and its expiry (epoch seconds), or None; an undecryptable one is a miss."""
        sealed = self.store.get(self._key(key))
        if sealed is None:
            return None
        try:
            token, expires_at = json.loads(self.keyring.decrypt(sealed))
        except (InvalidToken, ValueError, TypeError):
            return None
        return str(token), float(expires_at)

    def set(self, key: str, token: str, expires_at: float) -> None:
        """Keep the token, encrypted, until it expires."""
        ttl = expires_at - time.time()
        if ttl > 0:
            self.store.set(self._key(key), self.keyring.encrypt(json.dumps([token, expires_at])),
                           ttl)

    def _key(self, key: str) -> str:
        # Keyed by an HMAC under our own key: the Redis key tells nothing about the credentials.
        return "connector:ats-token:" + self.keyring.derive("ats-token:" + key)


@dataclass(frozen=True)
class Pushing:
    """What pushes share across jobs: the rate limiter and the token cache."""

    limiter: RateLimiter
    tokens: SealedTokens

    def tools(self, installation: str, ats: str) -> Tools:
        """What an adapter of this installation borrows: the shared tokens and the limiter's ear."""
        budget = get_adapter(ats).rate_limit
        return Tools(token_cache=self.tokens, on_rate_limit=lambda info: self.limiter.observe(
            installation, budget, info))


_build_lock = threading.Lock()


def pushing(services) -> Pushing:
    """The limiter and token cache of these services (on Redis when the queue is), built once."""
    with _build_lock:
        built = vars(services).get("_pushing")
        if built is None:
            built = _build(services)
            services._pushing = built  # lives and dies with the services it belongs to
    return built


def _build(services) -> Pushing:
    if isinstance(services.queue, RedisQueue):
        connection = services.queue.connection
        limiter = RateLimiter.on_redis(services.settings.redis_url, connection)
        return Pushing(limiter, SealedTokens(RedisStore(connection), services.keyring))
    return Pushing(RateLimiter.in_memory(), SealedTokens(MemoryStore(), services.keyring))


@dataclass(frozen=True)
class _Claimed:
    adapter: Adapter
    outcome: Outcome
    first_attempt: bool
    installation: str  # its public id: the rate limit's key, safe to log


def deliver_push(push_id: int) -> None:
    """Write one note (or other outcome) to the ATS, at most once where the ATS lets us check."""
    services = current()
    attempts = claim_now(services.db, Push, push_id, OutboxStatus.PENDING, OutboxStatus.SENDING)
    if attempts is None:
        return
    if attempts > MAX_ATTEMPTS:  # every earlier attempt was killed before it could say why
        return _record_failure(services, push_id, failures.Abandoned(attempts))
    try:
        _deliver(services, push_id, _prepare(services, push_id))
    except Dropped:  # the erasure already marked the row; nothing about them goes out
        log.info("push.dropped push=%s reason=erased", push_id)
    except Exception as exc:  # whatever it is, it counts, and MAX_ATTEMPTS of them stop it
        _record_failure(services, push_id, exc)


def _deliver(services, push_id: int, job: _Claimed) -> None:
    shared, adapter, ats = pushing(services), job.adapter, job.adapter.key
    key, budget = job.installation, job.adapter.manifest.rate_limit
    # A retry first looks for the note an earlier attempt may have written: two calls.
    wait = shared.limiter.acquire(key, budget, cost=1 if job.first_attempt else 2,
                                  patience=PATIENCE_SECONDS)
    if wait > 0:
        _defer(services, push_id, wait)
        log.debug("%s.push.deferred push=%s wait=%.1fs", ats, push_id, wait)
        return
    external_id = write(adapter, job.outcome, first_attempt=job.first_attempt,
                        before_call=lambda: still_wanted(services, push_id))
    with services.db.session() as session:
        push = session.get(Push, push_id)
        if push.status is not OutboxStatus.SENDING:  # erased meanwhile: keep it dropped
            raise Dropped(push_id)
        push.status, push.external_id = OutboxStatus.DELIVERED, external_id
        push.delivered_at, push.lease_until, push.last_error = utcnow(), None, None
    log.info("%s.push.delivered push=%s kind=%s", ats, push_id, job.outcome.kind)


class Dropped(Exception):
    """The push's candidate was erased while it was being sent."""


def still_wanted(services, push_id: int) -> None:
    """Raise Dropped unless the row is still ours to send: SENDING, with its payload."""
    with services.db.session() as session:
        row = session.execute(select(Push.status, Push.payload).where(Push.id == push_id)).one()
    if row.status is not OutboxStatus.SENDING or not row.payload:
        raise Dropped(push_id)


def _prepare(services, push_id: int) -> _Claimed:
    """The adapter and outcome for the claimed row's attempt."""
    with services.db.session() as session:
        push = session.get(Push, push_id)
        if push.status is not OutboxStatus.SENDING or not push.payload:
            raise Dropped(push_id)  # erased since it was claimed
        installation = session.get(Installation, push.installation_id)
        tools = pushing(services).tools(installation.public_id, installation.ats)
        adapter = adapter_for(installation, services.keyring, services.settings, tools)
        return _Claimed(adapter, Outcome.from_dict(push.payload), push.attempts == 1,
                        installation.public_id)


def _defer(services, push_id: int, wait: float) -> None:
    """No slot is free: back to pending for when one frees, the claimed attempt given back."""
    with services.db.session() as session:
        push = session.get(Push, push_id)
        push.status, push.lease_until = OutboxStatus.PENDING, None
        push.attempts -= 1  # the ATS was not called: this was no attempt
        push.next_attempt_at = due = utcnow() + timedelta(seconds=wait)
    _run_when_due(services, push_id, due)


def _record_failure(services, push_id: int, error: Exception) -> None:
    """Schedule the next try, or stop for good and tell the admin why."""
    known = isinstance(error, ApiError)
    permanent = known and not error.retryable
    # An ATS's answer is safe to show; any other exception's text may quote candidate data.
    why = str(error)[:1000] if known else failures.reason(error)
    with services.db.session() as session:
        push = session.get(Push, push_id)
        installation = session.get(Installation, push.installation_id)
        push.last_error, push.lease_until, ats = why, None, installation.ats
        stop = permanent or push.attempts >= MAX_ATTEMPTS
        if stop:
            push.status = OutboxStatus.FAILED
            # Not an outage that passes, nor a recruiter's own move: someone must look.
            if (permanent or not known) and not isinstance(error, Superseded):
                _needs_attention(installation, f"{type(error).__name__}: {why[:500]}"
                                 if known else why)
        else:
            push.status = OutboxStatus.PENDING
            push.next_attempt_at = due = utcnow() + timedelta(
                seconds=retry_delay(error, push.attempts))
    log.warning("%s.push.%s push=%s error=%s", ats, "failed" if stop else "retry", push_id,
                type(error).__name__)
    if not stop:
        _run_when_due(services, push_id, due)


def _needs_attention(installation: Installation, reason: str) -> None:
    installation.status = InstallationStatus.NEEDS_ATTENTION
    installation.attention_reason = reason


def _run_when_due(services, push_id: int, due: datetime) -> None:
    """Schedule the job for the first whole second at or after `due`.

    rq keeps scheduled times as whole seconds, rounded down: a job timed for 12.4 s would run
    from 12 s on, find its row not yet due, and leave it to the sweeper a minute later.
    """
    services.queue.enqueue_in(math.ceil(due.timestamp()) - time.time(), JOB, push_id)


def retry_delay(error: Exception, attempts: int) -> float:
    """Seconds before the next try: what a 429 asks for, else exponential backoff with jitter."""
    if isinstance(error, RateLimited) and error.retry_after is not None:
        return max(error.retry_after, MIN_RETRY_AFTER_SECONDS)
    return backoff_seconds(attempts)
