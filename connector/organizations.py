"""Finding an organization for the CLI and the API: by its public id, or by a name that is
unambiguous and was never changed.

An organization's public id (org_...) never changes. Its name is its admin's to change, so a
name cannot be trusted to mean the same organization tomorrow: an admin could take a name the
operator is about to use. A name is therefore accepted only when it matches exactly one
organization (ignoring case) and that organization has never been renamed.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.models import Organization
from connector.names import display_name

PREFIX = "org_"


class OrganizationError(ValueError):
    """No organization, or no single trustworthy one, answers to this reference."""


def find(session: Session, reference: str) -> Organization:
    """The organization a public id or a trustworthy name refers to; OrganizationError if none."""
    found = _lookup(session, reference)
    if found is None:
        raise OrganizationError(f"no organization {reference.strip()!r}; "
                                "`connector organizations list` shows their ids")
    return found


def find_or_create(session: Session, reference: str) -> Organization:
    """The organization referred to, or a new one named so when no organization has the name."""
    found = _lookup(session, reference)
    if found is not None:
        return found
    name = display_name(reference)
    if not name or name.startswith(PREFIX):
        raise OrganizationError(f"no organization {reference.strip()!r}" if name else
                                "an organization name is required")
    organization = Organization(name=name)
    session.add(organization)
    session.flush()
    return organization


def named_alike(session: Session, name: str, other_than: int | None = None) -> list[Organization]:
    """Organizations whose name is this one, ignoring case (another's only, with other_than)."""
    query = select(Organization).where(func.lower(Organization.name) == name.lower())
    if other_than is not None:
        query = query.where(Organization.id != other_than)
    return [o for o in session.scalars(query.order_by(Organization.id))
            if o.name.casefold() == name.casefold()]


def describe(organization: Organization) -> dict:
    return {"id": organization.public_id, "name": organization.name,
            "renamed_at": organization.renamed_at.isoformat() if organization.renamed_at
            else None}


def _lookup(session: Session, reference: str) -> Organization | None:
    text = (reference or "").strip()
    if text.startswith(PREFIX):
        return session.scalar(select(Organization).where(Organization.public_id == text))
    matches = named_alike(session, display_name(text))
    if len(matches) > 1:
        ids = ", ".join(f"{o.public_id} ({o.name!r})" for o in matches)
        raise OrganizationError(f"{text!r} matches {len(matches)} organizations: {ids}; "
                                "give the id of the one you mean")
    if matches and matches[0].renamed_at is not None:
        found = matches[0]
        raise OrganizationError(
            f"the organization now named {found.name!r} ({found.public_id}) was renamed by its "
            f"admin on {found.renamed_at:%Y-%m-%d}, so its name is not trusted to mean it; "
            f"give its id {found.public_id} if you mean it")
    return matches[0] if matches else None
