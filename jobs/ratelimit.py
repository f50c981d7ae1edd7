"""How often an installation may call its ATS: one budget, shared by every worker.

A moving window per installation (the `limits` library) on Redis when REDIS_URL is set, so every
worker process draws from the same budget; in this process's memory otherwise. What the ATS says
on its answers lowers the budget: its X-RateLimit-Limit replaces the adapter's default, fewer
X-RateLimit-Remaining than the window counts (another client may share the API credentials) use
up the difference, none remaining holds every worker back until X-RateLimit-Reset, and a 429's
Retry-After holds them until it has passed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from adapters.http import RateLimitInfo

log = logging.getLogger("connector.jobs")

PREFIX = "connector:ats"
REPORTED_LIMIT_SECONDS = 3600  # an X-RateLimit-Limit is believed this long after last seen
MIN_WAIT_SECONDS = 0.05  # never answer "wait 0" while refusing: that would spin
PAUSE_SECONDS = 0.01  # the least a patient caller sleeps before looking again

Budget = tuple[int, int]  # requests, seconds
Clock = Callable[[], float]


class MemoryStore:
    """Short-lived strings in this process, each with its own expiry."""

    def __init__(self, clock: Clock = time.time):
        self.clock = clock
        self._items: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        """The value under `key` unless it has expired."""
        with self._lock:
            expires_at, value = self._items.get(key, (0.0, None))
            if expires_at <= self.clock():
                self._items.pop(key, None)
                return None
            return value

    def set(self, key: str, value: str, ttl: float) -> None:
        """Keep `value` under `key` for `ttl` seconds."""
        with self._lock:
            self._items[key] = (self.clock() + ttl, value)

    def take_turn(self, key: str, earliest: float, step: float) -> float:
        """The next free turn at or after `earliest`; the one after it is `step` later."""
        with self._lock:
            _, after = self._items.get(key, (0.0, "0"))
            turn = max(float(after), earliest)
            self._items[key] = (float("inf"), repr(turn + step))
            return turn


# Atomic, so two workers never get the same turn. KEYS[1]: the next free turn (epoch seconds);
# ARGV: earliest, step, now.
_TAKE_TURN = """
local turn = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(ARGV[1]))
local after = turn + tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.6f', after), 'PX',
           math.ceil((after - tonumber(ARGV[3])) * 1000) + 1000)
return string.format('%.6f', turn)
"""


class RedisStore:
    """Short-lived strings on Redis, seen by every worker; an unreachable Redis just forgets."""

    def __init__(self, connection):
        self.connection = connection
        self._take_turn = connection.register_script(_TAKE_TURN)

    def get(self, key: str) -> str | None:
        """The value under `key`, or None when there is none or Redis is down."""
        try:
            value = self.connection.get(key)
        except RedisError:
            log.warning("ratelimit.store-unavailable op=get")
            return None
        return value.decode() if value is not None else None

    def set(self, key: str, value: str, ttl: float) -> None:
        """Keep `value` under `key` for `ttl` seconds (Redis expires it)."""
        try:
            self.connection.set(key, value, px=max(1, int(ttl * 1000)))
        except RedisError:
            log.warning("ratelimit.store-unavailable op=set")

    def take_turn(self, key: str, earliest: float, step: float) -> float:
        """The next free turn at or after `earliest`; the one after it is `step` later."""
        try:
            return float(self._take_turn(keys=[key], args=[earliest, step, time.time()]))
        except RedisError:
            log.warning("ratelimit.store-unavailable op=take_turn")
            return earliest


class RateLimiter:
    """Slots per installation key; `acquire` before a call, `observe` each answer's headers.

    The window itself runs on the wall clock inside `limits`; `clock` times the holds and the
    memory store, and `sleep` a patient caller's short waits, so those can be tested without
    sleeping.
    """

    def __init__(self, storage, store: MemoryStore | RedisStore, clock: Clock = time.time,
                 sleep: Callable[[float], None] = time.sleep):
        self.window = MovingWindowRateLimiter(storage)
        self.store = store
        self.clock, self.sleep = clock, sleep

    @classmethod
    def in_memory(cls, clock: Clock = time.time,
                  sleep: Callable[[float], None] = time.sleep) -> RateLimiter:
        """A limiter for one process (no Redis): jobs run on its own threads."""
        return cls(MemoryStorage(), MemoryStore(clock), clock, sleep)

    @classmethod
    def on_redis(cls, url: str, connection) -> RateLimiter:
        """A limiter every worker shares, on the Redis at `url` (through `connection`'s pool)."""
        storage = RedisStorage(url, connection_pool=connection.connection_pool, key_prefix=PREFIX,
                               wrap_exceptions=True)
        return cls(storage, RedisStore(connection))

    def acquire(self, key: str, budget: Budget, cost: int = 1, patience: float = 0.0) -> float:
        """Take `cost` slots and return 0, or take none and return the seconds until they free.

        A slot (or the end of a hold) due within `patience` seconds is waited for here, so the
        caller need not go back to the end of the line for what is nearly its turn.
        """
        try:
            return self._acquire(key, budget, cost, patience)
        except (StorageError, RedisError):
            # Fail open: the ATS's own 429 still protects it, and stalling every push is worse.
            log.warning("ratelimit.unavailable installation=%s", key)
            return 0.0

    def observe(self, key: str, budget: Budget, info: RateLimitInfo) -> None:
        """Follow what the ATS said on one answer about the calls left and when to come back."""
        try:
            self._observe(key, budget, info)
        except (StorageError, RedisError):
            log.warning("ratelimit.unavailable installation=%s", key)

    def held_for(self, key: str) -> float:
        """Seconds left of a hold the ATS asked for (a 429's Retry-After), else 0."""
        until = self.store.get(f"{PREFIX}:{key}:hold")
        return max(0.0, float(until) - self.clock()) if until else 0.0

    def _acquire(self, key: str, budget: Budget, cost: int, patience: float) -> float:
        item = self._item(key, budget)
        while True:
            held = self.held_for(key)
            if held > patience:  # a hold's end is a window's start: waiters queue for it too
                return self._turn(key, item, cost, self.clock() + held, self.clock)
            if held > 0:
                patience -= self._pause(held)
                continue
            cost = min(cost, item.amount)
            if self.window.hit(item, key, cost=cost):
                return 0.0
            free_at = self.window.get_window_stats(item, key).reset_time  # wall clock, as `limits`
            if free_at - time.time() > patience:
                return self._turn(key, item, cost, free_at, time.time)
            patience -= self._pause(free_at - time.time())

    def _turn(self, key: str, item, cost: int, earliest: float, clock: Clock) -> float:
        """Seconds until this waiter's turn: at `earliest`, behind those already waiting.

        Each waiter takes a turn `per/limit` seconds after the last, so a backlog wakes at the
        pace the window frees slots instead of all at once, to find one slot and go back to sleep.
        """
        turn = self.store.take_turn(f"{PREFIX}:{key}:turn", earliest,
                                    cost * item.get_expiry() / item.amount)
        return max(turn - clock(), MIN_WAIT_SECONDS)

    def _pause(self, seconds: float) -> float:
        """Sleep at least a moment (a slot due now may still be counted): the seconds slept."""
        seconds = max(seconds, PAUSE_SECONDS)
        self.sleep(seconds)
        return seconds

    def _observe(self, key: str, budget: Budget, info: RateLimitInfo) -> None:
        if info.limit is not None:
            # Greenhouse v3 [3P]: the X-RateLimit-Limit of a fixed 30-second window, which differs
            # by integration; the adapter's figure is the default until it is seen.
            self.store.set(f"{PREFIX}:{key}:limit", str(info.limit), REPORTED_LIMIT_SECONDS)
        if info.remaining is not None:
            self._spend_down_to(self._item(key, budget), key, info.remaining)
        reset = _within_window(info.reset, budget)
        if info.remaining == 0 and reset is not None:
            # The ATS's window is spent: no call can succeed before it resets, whatever ours says.
            self._hold(key, reset)
        if info.status == 429:
            # Retry-After, else the window's reset; without either a whole window is the longest
            # the ATS can mean.
            wait = info.retry_after if info.retry_after is not None else reset
            self._hold(key, float(budget[1]) if wait is None else wait)

    def _spend_down_to(self, item, key: str, remaining: int) -> None:
        """Take the slots the ATS says are gone, so the window has no more left than it has."""
        extra = self.window.get_window_stats(item, key).remaining - remaining
        if extra > 0:
            self.window.hit(item, key, cost=extra)

    def _hold(self, key: str, seconds: float) -> None:
        if seconds > 0 and seconds > self.held_for(key):
            self.store.set(f"{PREFIX}:{key}:hold", repr(self.clock() + seconds), seconds)

    def _item(self, key: str, budget: Budget) -> _Window:
        """The window for `key`: the limit the ATS last reported, else the adapter's default."""
        requests, seconds = budget
        reported = self.store.get(f"{PREFIX}:{key}:limit")
        return _Window(max(int(reported) if reported else requests, 1), seconds, namespace="push")


def _within_window(reset: float | None, budget: Budget) -> float | None:
    """A reset no later than one window away; a later one is misread, so it is held to a window."""
    return None if reset is None else min(reset, float(budget[1]))


class _Window(RateLimitItemPerSecond):
    """A moving window keyed without its size, so a new limit keeps the calls already counted."""

    def key_for(self, *identifiers) -> str:
        return "/".join([self.namespace, *map(str, identifiers), str(self.multiples)])
