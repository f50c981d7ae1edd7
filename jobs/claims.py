"""Claiming a row before acting on it, and when to try again: shared by every job."""

from __future__ import annotations

import random
import time
from functools import cache

from sqlalchemy import and_, bindparam, or_, text, update
from sqlalchemy.orm import Session

from connector.models import utcnow
from jobs import leases

# How long a claim holds its row. The runner renews it while the job lives (jobs.leases), so a
# live job keeps its row and a dead one's row is free again at most LEASE after the death.
LEASE = leases.LEASE
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 3600
_NOT_DURABLE = text("SET LOCAL synchronous_commit = off")


def claim(session: Session, model, row_id: int, ready, working, *,
          durable: bool = True) -> int | None:
    """Move a row from `ready` (and due) to `working` under a lease: the attempt it starts.

    None if someone has it or it is not due. One conditional UPDATE, so two workers racing for
    the same row cannot both win, and a row whose worker died is claimable again once its lease
    has run out. A `ready` row with a lease (a delivery backing off) is due when it runs out.

    `durable=False` is for a transaction that holds the claim alone: its commit does not wait
    for the disk. Losing such a claim in a database crash is harmless: the row is `ready`
    again and is claimed anew, and whatever the job commits later is written to the log after
    the claim, so it cannot outlive it. A message sent between the two may be sent again, as
    it may when a worker dies after sending and before committing.
    """
    leased_at = time.monotonic()
    now = utcnow()
    if not durable and session.get_bind().dialect.name == "postgresql":
        session.execute(_NOT_DURABLE)
    attempts = session.execute(_claiming(model), {
        "row_id": row_id, "ready": ready, "working": working, "now": now,
        "lease_until": now + LEASE}).scalar_one_or_none()
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
