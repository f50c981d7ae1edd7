"""Claiming a row before acting on it, and when to try again: shared by every job."""

from __future__ import annotations

import random
import time
from functools import cache

from sqlalchemy import and_, bindparam, or_, update
from sqlalchemy.orm import Session

from connector.db import Database
from connector.models import utcnow
from jobs import leases

# How long a claim holds its row. The runner renews it while the job lives (jobs.leases), so a
# live job keeps its row and a dead one's row is free again at most LEASE after the death.
LEASE = leases.LEASE
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 3600


def claim(session: Session, model, row_id: int, ready, working) -> int | None:
    """Move a row from `ready` (and due) to `working` under a lease: the attempt it starts.

    None if someone has it or it is not due. One conditional UPDATE, so two workers racing for
    the same row cannot both win, and a row whose worker died is claimable again once its lease
    has run out. A `ready` row with a lease (a delivery backing off) is due when it runs out.
    The claim holds once the session's transaction commits (emails.prepare claims the row it
    has just written, in the same transaction).
    """
    leased_at, params = _params(row_id, ready, working)
    return _held(session.execute(_claiming(model), params).scalar_one_or_none(),
                 model, row_id, working, leased_at)


def claim_now(db: Database, model, row_id: int, ready, working) -> int | None:
    """`claim`, as a transaction of its own: one round trip on PostgreSQL (Database.execute_now).

    A job claims its row before it acts, and commits the claim alone, so an attempt killed
    mid-way still counts towards the row's MAX_ATTEMPTS.
    """
    leased_at, params = _params(row_id, ready, working)
    return _held(db.execute_now(_claiming(model), params), model, row_id, working, leased_at)


def _params(row_id: int, ready, working) -> tuple[float, dict]:
    leased_at, now = time.monotonic(), utcnow()
    return leased_at, {"row_id": row_id, "ready": ready, "working": working, "now": now,
                       "lease_until": now + LEASE}


def _held(attempts: int | None, model, row_id: int, working, leased_at: float) -> int | None:
    """The running job's holder renews what it claimed (jobs.leases)."""
    if attempts is None:
        return None
    holder = leases.current_holder()
    if holder is not None:
        holder.claimed(leases.Claimed(model, row_id, working, attempts), leased_at)
    return attempts


@cache
def _claiming(model):
    """The claim's UPDATE for one table, built once: a job's claim runs it as it is."""
    table = model.__table__
    c = table.c
    now = bindparam("now", type_=c.lease_until.type)
    ready, working = (bindparam(name, type_=c.status.type) for name in ("ready", "working"))
    due = and_(c.status == ready, or_(c.lease_until.is_(None), c.lease_until <= now))
    if "next_attempt_at" in c:
        due = and_(due, c.next_attempt_at <= now)
    abandoned = and_(c.status == working, c.lease_until < now)
    return (update(table)
            .where(c.id == bindparam("row_id"), or_(due, abandoned))
            .values(status=working, attempts=c.attempts + 1,
                    lease_until=bindparam("lease_until", type_=c.lease_until.type))
            .returning(c.attempts))


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter in its upper half: 15-30 s, 30-60 s, ... up to 6 h."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return (rng or random).uniform(ceiling / 2, ceiling)
