"""Whom an erasure request names, resolved within one organization, and its receipt shown.

The admin app, the API and the command line take the same three ways of naming a person (an
e-mail address, an ATS candidate id within an installation, one of their interviews) and read
them here, so each path erases exactly whom the others would.
"""

from __future__ import annotations

from sqlalchemy import select

from adapters.events import MAX_EMAIL, MAX_ID, usable_email
from connector.models import ErasureReceipt, Installation, Interview
from connector.privacy.erasure import Person


class NotFound(LookupError):
    """No installation or interview of the organization has this id (shown as a 404)."""


class Refused(ValueError):
    """The request names no one, or names them in a shape we cannot use (shown as a 4xx)."""


def named(session, organization_id: int, *, email: str | None = None,
          ats_candidate_id: str | None = None, installation: str | None = None,
          interview: str | None = None) -> Person:
    """The person named by exactly one way: e-mail, ATS candidate id (in an installation), or
    interview."""
    given = [way for way in (email, ats_candidate_id, interview) if (way or "").strip()]
    if len(given) != 1:
        raise Refused("give exactly one of an e-mail address, an ATS candidate id or an "
                      "interview")
    if email and email.strip():
        return by_email(organization_id, email)
    if interview and interview.strip():
        return by_interview(session, organization_id, interview)
    if not (installation or "").strip():
        raise Refused("an ATS candidate id needs its installation")
    return by_ats_candidate(session, organization_id, installation, ats_candidate_id)


def by_email(organization_id: int, email: str) -> Person:
    address = usable_email((email or "")[:MAX_EMAIL + 1])
    if address is None:
        raise Refused("not an e-mail address")
    return Person(organization_id, emails={address})


def by_ats_candidate(session, organization_id: int, installation: str,
                     candidate_id: str) -> Person:
    """Every application of the ATS's candidate within one of the organization's installations."""
    candidate_id = (candidate_id or "").strip()
    if not candidate_id or len(candidate_id) > MAX_ID:
        raise Refused(f"an ATS candidate id is 1 to {MAX_ID} characters")
    found = session.scalar(select(Installation.id).where(
        Installation.public_id == (installation or "").strip(),
        Installation.organization_id == organization_id))
    if found is None:
        raise NotFound("no such installation")
    return Person(organization_id, candidate_ids={candidate_id}, installation_id=found)


def by_interview(session, organization_id: int, public_id: str) -> Person:
    """The person of one interview (not yet erased): their e-mail and ATS ids go too."""
    interview = session.scalar(select(Interview).join(Installation).where(
        Interview.public_id == (public_id or "").strip(), Interview.erased_at.is_(None),
        Installation.organization_id == organization_id))
    if interview is None:
        raise NotFound("no such interview")
    return Person(organization_id, emails={interview.candidate_email},
                  candidate_ids={interview.ats_candidate_id},
                  interview_ids={interview.id}, installation_id=interview.installation_id)


def receipts(session, organization_id: int, limit: int = 100) -> list[ErasureReceipt]:
    """The organization's receipts, newest first."""
    return list(session.scalars(select(ErasureReceipt).where(
        ErasureReceipt.organization_id == organization_id)
        .order_by(ErasureReceipt.id.desc()).limit(limit)))


def describe(receipt: ErasureReceipt) -> dict:
    """A receipt as shown and printed: what, when, by whom, why; nothing of the person."""
    return {"id": receipt.public_id, "reason": receipt.reason.value,
            "actor": receipt.actor.value, "actor_id": receipt.actor_id,
            "requested_at": receipt.requested_at.isoformat(),
            "completed_at": receipt.completed_at.isoformat() if receipt.completed_at else None,
            "interviews": list(receipt.interviews or []), "erased": dict(receipt.erased or {})}
