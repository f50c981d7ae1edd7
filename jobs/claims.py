"""Claiming a row before acting on it, and when to try again: shared by every job."""

from __future__ import annotations

import random
import time

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from connector.models import utcnow
from jobs import leases

# How long a claim holds its row. The runner renews it while the job lives (jobs.leases), so a
# live job keeps its row and a dead one's row is free again at most LEASE after the death.
LEASE = leases.LEASE
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 3600


def claim(session: Session, model, row_id: int, ready, working) -> bool:
    """Move a row from `ready` (and due) to `working` under a lease; False if someone has it.

    One conditional UPDATE, so two workers racing for the same row cannot both win, and a
    row whose worker died is claimable again once its lease has run out.
    """
    leased_at = time.monotonic()
    now = utcnow()
    due = model.status == ready
    if hasattr(model, "next_attempt_at"):
        due = and_(due, model.next_attempt_at <= now)
    abandoned = and_(model.status == working, model.lease_until < now)
    attempts = session.execute(
        update(model)
        .where(model.id == row_id, or_(due, abandoned))
        .values(status=working, lease_until=now + LEASE, attempts=model.attempts + 1)
        .returning(model.attempts)
    ).scalar_one_or_none()
    if attempts is None:
        return False
    holder = leases.current_holder()
    if holder is not None:
        holder.claimed(leases.Claimed(model, row_id, working, attempts), leased_at)
    return True


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter in its upper half: 15-30 s, 30-60 s, ... up to 6 h."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return (rng or random).uniform(ceiling / 2, ceiling)
