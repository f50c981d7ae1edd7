"""A `limits` storage in the connector's own database, for throttling when there is no Redis.

`limits` stores in memory (one process only), Redis, Memcached or MongoDB; the embedded setup
has none of those shared between its web processes, but it has the database. This storage
keeps one row per counted attempt (RateLimitHit), at most a limit's worth per key, and answers
the library's moving-window strategy, the same one Redis serves: Flask-Limiter and `limits` do
the rest.

On SQLite every transaction takes the write lock first (connector.db), so a check and its
insert are never interleaved with another process's.
"""

from __future__ import annotations

import time

from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.exc import SQLAlchemyError

from connector.db import make_engine
from connector.models import RateLimitHit

SCHEME_PREFIX = "db+"
LONGEST_WINDOW_SECONDS = 24 * 3600  # rows older than any limit's window are dropped


def storage_uri(database_url: str) -> str:
    """The URI Flask-Limiter is given to count in this database."""
    return SCHEME_PREFIX + database_url


class DatabaseStorage(Storage, MovingWindowSupport):
    """Moving-window counts in the rate_limit_hits table."""

    STORAGE_SCHEME = [SCHEME_PREFIX + s for s in (
        "sqlite", "postgresql", "postgresql+psycopg")]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions, **options)
        self.engine = make_engine(uri.removeprefix(SCHEME_PREFIX))

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Count `amount` attempts now, unless that would pass the limit within the window."""
        if amount > limit:
            return False
        now = time.time()
        with self.engine.begin() as connection:
            connection.execute(delete(RateLimitHit).where(or_(
                and_(RateLimitHit.key == key, RateLimitHit.at <= now - expiry),
                RateLimitHit.at <= now - LONGEST_WINDOW_SECONDS)))
            counted = connection.scalar(select(func.count()).where(RateLimitHit.key == key))
            if counted + amount > limit:
                return False
            connection.execute(insert(RateLimitHit), [{"key": key, "at": now}] * amount)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The oldest attempt within the window (or now), and how many there are."""
        now = time.time()
        with self.engine.begin() as connection:
            oldest, counted = connection.execute(select(
                func.min(RateLimitHit.at), func.count()).where(
                RateLimitHit.key == key, RateLimitHit.at > now - expiry)).one()
        return (oldest if oldest is not None else now), counted

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.scalar(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(delete(RateLimitHit)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(RateLimitHit).where(RateLimitHit.key == key))

    # The fixed-window strategy's counters: the app counts in moving windows only.
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("the database storage counts moving windows only")

    def get(self, key: str) -> int:
        raise NotImplementedError("the database storage counts moving windows only")

    def get_expiry(self, key: str) -> float:
        raise NotImplementedError("the database storage counts moving windows only")
