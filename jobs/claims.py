"""Claiming a row before acting on it, and when to try again: shared by every job."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from connector.models import utcnow

LEASE = timedelta(minutes=5)  # longer than any job's timeout, so a live job keeps its row
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 3600


def claim(session: Session, model, row_id: int, ready, working) -> bool:
    """Move a row from `ready` (and due) to `working` under a lease; False if someone has it.

    One conditional UPDATE, so two workers racing for the same row cannot both win, and a
    row whose worker died is claimable again once its lease has run out.
    """
    now = utcnow()
    due = model.status == ready
    if hasattr(model, "next_attempt_at"):
        due = and_(due, model.next_attempt_at <= now)
    abandoned = and_(model.status == working, model.lease_until < now)
    result = session.execute(
        update(model)
        .where(model.id == row_id, or_(due, abandoned))
        .values(status=working, lease_until=now + LEASE, attempts=model.attempts + 1)
    )
    return result.rowcount == 1


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter in its upper half: 15-30 s, 30-60 s, ... up to 6 h."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return (rng or random).uniform(ceiling / 2, ceiling)
