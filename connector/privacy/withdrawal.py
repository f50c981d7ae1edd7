"""A candidate withdraws consent and asks for erasure: carried out once the wait is over."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from connector import notes
from connector.interviews import OPEN_STATES, add_once
from connector.models import Interview, InterviewState, Push, utcnow

MAX_WAIT_DAYS = 30  # the Illinois AI Video Interview Act's limit; organizations choose 1..30


def erasure_due(interview: Interview, now: datetime) -> datetime:
    """When a request made now falls due: the organization's wait, held within 1 to 30 days."""
    days = interview.installation.organization.erasure_wait_days or 1
    return now + timedelta(days=min(max(days, 1), MAX_WAIT_DAYS))


def withdraw(session: Session, interview: Interview, now: datetime | None = None) -> Push | None:
    """Cancel an open interview, set when its erasure falls due, and note it for the recruiter.

    Returns the note's push to deliver; None for a repeat, which changes nothing.
    """
    if interview.erasure_due_at is not None:
        return None
    now = now or utcnow()
    if interview.state in OPEN_STATES:
        interview.state = InterviewState.CANCELLED
        interview.settled_at = now  # retention counts from a cancellation
    interview.erasure_due_at = erasure_due(interview, now)
    return add_once(session, notes.erasure_requested(interview.installation, interview))
