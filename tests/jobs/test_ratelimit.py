"""The shared rate limiter on its own: windows, turns, holds, patience, and one budget on Redis."""

from __future__ import annotations

import time

import pytest
from redis import Redis

from adapters.http import RateLimitInfo
from jobs.ratelimit import RateLimiter

def test_a_higher_limit_from_greenhouse_keeps_the_calls_already_counted():
    limiter = RateLimiter.in_memory()
    assert limiter.acquire("inst_a", (50, 10), cost=50) == 0
    limiter.observe("inst_a", (50, 10), RateLimitInfo(status=201, limit=60, remaining=10))
    assert limiter.acquire("inst_a", (50, 10), cost=10) == 0
    assert 9 < limiter.acquire("inst_a", (50, 10)) <= 10


def test_a_full_window_gives_waiters_turns_as_slots_free():
    limiter = RateLimiter.in_memory()
    assert [limiter.acquire("inst_a", (3, 10)) for _ in range(3)] == [0, 0, 0]
    # The first waiter when the oldest slot frees, the next ones 10/3 s apart behind it.
    first, second = limiter.acquire("inst_a", (3, 10)), limiter.acquire("inst_a", (3, 10))
    assert 9 < first <= 10 and second - first == pytest.approx(10 / 3, abs=0.01)
    assert limiter.acquire("inst_b", (3, 10)) == 0


def test_a_hold_lasts_retry_after_and_its_waiters_take_turns_after_it():
    now = [1000.0]
    limiter = RateLimiter.in_memory(clock=lambda: now[0])
    limiter.observe("inst_a", (50, 10), RateLimitInfo(status=429, retry_after=5))
    assert limiter.acquire("inst_a", (50, 10)) == 5
    now[0] += 4.5
    # Not all at the hold's end: the next waiter's turn is 10/50 s behind the first one's.
    assert limiter.acquire("inst_a", (50, 10)) == pytest.approx(0.7)
    now[0] += 0.5
    assert limiter.acquire("inst_a", (50, 10)) == 0
    limiter.observe("inst_a", (50, 10), RateLimitInfo(status=429))  # no Retry-After: a window
    assert limiter.held_for("inst_a") == 10


def test_workers_share_one_budget_on_redis(redis_url):
    connection = Redis.from_url(redis_url)
    one, two = (RateLimiter.on_redis(redis_url, connection) for _ in range(2))
    assert one.acquire("inst_a", (3, 10), cost=2) == 0
    assert two.acquire("inst_a", (3, 10)) == 0
    assert 9 < one.acquire("inst_a", (3, 10)) <= 10
    assert 12 < two.acquire("inst_a", (3, 10)) <= 13.4  # the next turn, not the same one
    two.observe("inst_b", (50, 10), RateLimitInfo(status=200, limit=50, remaining=0))
    assert 9 < one.acquire("inst_b", (50, 10)) <= 10
    two.observe("inst_c", (50, 10), RateLimitInfo(status=429, retry_after=20))
    assert 19 < one.acquire("inst_c", (50, 10)) <= 20


class Sleeps:
    """A sleep that only notes how long it was asked for and moves the injected clock on."""

    def __init__(self, now: list[float] | None = None, real: bool = False):
        self.now, self.real, self.asked = now, real, []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if self.now is not None:
            self.now[0] += seconds
        if self.real:
            time.sleep(seconds)


def test_a_slot_due_within_patience_is_waited_for_without_taking_a_turn():
    sleeps = Sleeps(real=True)  # the window runs on the wall clock, inside `limits`
    limiter = RateLimiter.in_memory(sleep=sleeps)
    assert limiter.acquire("inst_a", (1, 1)) == 0
    assert limiter.acquire("inst_a", (1, 1), patience=2) == 0
    assert 0 < sum(sleeps.asked) <= 1.1
    # It took no turn: the next waiter's turn is when the slot just taken frees, not after.
    assert 0.5 < limiter.acquire("inst_a", (1, 1)) <= 1


def test_a_slot_beyond_patience_is_a_turn_and_no_sleep():
    sleeps = Sleeps()
    limiter = RateLimiter.in_memory(sleep=sleeps)
    assert limiter.acquire("inst_a", (1, 10)) == 0
    assert 9 < limiter.acquire("inst_a", (1, 10), patience=1) <= 10
    assert sleeps.asked == []


def test_a_hold_within_patience_is_waited_out_and_a_longer_one_returned():
    now = [1000.0]
    sleeps = Sleeps(now)
    limiter = RateLimiter.in_memory(clock=lambda: now[0], sleep=sleeps)
    limiter.observe("inst_a", (50, 10), RateLimitInfo(status=429, retry_after=0.5))
    assert limiter.acquire("inst_a", (50, 10), patience=1) == 0
    assert sleeps.asked == [0.5]
    limiter.observe("inst_a", (50, 10), RateLimitInfo(status=429, retry_after=5))
    assert limiter.acquire("inst_a", (50, 10), patience=1) == 5
    assert sleeps.asked == [0.5]

