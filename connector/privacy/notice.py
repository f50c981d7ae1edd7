"""What a candidate is told about their data: who holds it, why, for how long, whom to ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connector.models import Interview, Organization
from connector.privacy import retention


@dataclass(frozen=True)
class Notice:
    """The facts the landing page, the invitation and the "Your data" page state."""

    controller: str  # the organization: it decides what the data is for
    job: str
    retention_days: int
    contact: str | None  # the organization's privacy contact; None: reply to the invitation
    delete_after: datetime | None  # None while the interview is still open or undecided

    @property
    def contact_is_email(self) -> bool:
        return bool(self.contact) and "@" in self.contact and " " not in self.contact.strip()


def retention_days(interview: Interview, organization: Organization | None = None) -> int:
    """How many days the data is kept once settled: the template's, else the organization's."""
    return retention.retention_days(interview.template, organization or _organization(interview))


def delete_after(interview: Interview) -> datetime | None:
    """When the interview's personal data goes; None until it is settled or erasure asked."""
    return retention.due_at(interview)


def notice_of(interview: Interview, organization: Organization | None = None) -> Notice:
    """The notice for an interview; its organization is given where it is not yet flushed."""
    organization = organization or _organization(interview)
    return Notice(controller=organization.name, job=interview.job_title or "",
                  retention_days=retention_days(interview, organization),
                  contact=(organization.privacy_contact or "").strip() or None,
                  delete_after=delete_after(interview))


def _organization(interview: Interview) -> Organization:
    return interview.installation.organization
