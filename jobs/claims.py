"""Claiming a row before acting on it, and when to try again: shared by every job."""

from __future__ import annotations

import random
import time

from sqlalchemy import and_, or_, text, update
from sqlalchemy.orm import Session

from connector.models import utcnow
from jobs import leases

# How long a claim holds its row. The runner renews it while the job lives (jobs.leases), so a
# live job keeps its row and a dead one's row is free again at most LEASE after the death.
LEASE = leases.LEASE
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 3600


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
    due = and_(model.status == ready, or_(model.lease_until.is_(None), model.lease_until <= now))
    if hasattr(model, "next_attempt_at"):
        due = and_(due, model.next_attempt_at <= now)
    if not durable and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))
    abandoned = and_(model.status == working, model.lease_until < now)
    attempts = session.execute(
        update(model)
        .where(model.id == row_id, or_(due, abandoned))
        .values(status=working, lease_until=now + LEASE, attempts=model.attempts + 1)
        .returning(model.attempts)
    ).scalar_one_or_none()
    if attempts is None:
        return None
    holder = leases.current_holder()
    if holder is not None:
        holder.claimed(leases.Claimed(model, row_id, working, attempts), leased_at)
    return attempts


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter in its upper half: 15-30 s, 30-60 s, ... up to 6 h."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return (rng or random).uniform(ceiling / 2, ceiling)
