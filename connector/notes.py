"""The words we send: the candidate's invitation e-mail and the notes for the recruiter's ATS."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, PackageLoader, select_autoescape

from adapters import get_adapter
from adapters.base import Event, Outcome
from connector.models import Email, Installation, InterviewSession, Push

_templates = Environment(
    loader=PackageLoader("connector", "templates/email"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def zone_of(installation: Installation) -> ZoneInfo:
    try:
        return ZoneInfo(installation.organization.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def deadline_in_words(deadline: datetime, zone: ZoneInfo) -> str:
    """'Wednesday 25 November 2026 at 14:05 (UTC)': unambiguous in any locale's reading."""
    local = deadline.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y at %H:%M} ({zone.key})"


def deadline_iso(deadline: datetime, zone: ZoneInfo) -> str:
    return deadline.astimezone(zone).isoformat(timespec="minutes")


def invitation_email(installation: Installation, interview: InterviewSession, link: str) -> Email:
    """The candidate's invitation, with text and HTML parts, keyed to send once per session."""
    zone = zone_of(installation)
    context = {
        "company": installation.organization.name,
        "candidate": interview.candidate_name,
        "job": interview.job_title,
        "link": link,
        "deadline_words": deadline_in_words(interview.deadline_at, zone),
        "deadline_iso": deadline_iso(interview.deadline_at, zone),
    }
    job = f" for {interview.job_title}" if interview.job_title else ""
    return Email(
        organization_id=installation.organization_id,
        session_id=interview.id,
        kind="invitation",
        dedupe_key=f"invitation:{interview.public_id}",
        to_address=interview.candidate_email,
        subject=f"Your video interview with {installation.organization.name}{job}",
        text_body=_templates.get_template("invitation.txt").render(context),
        html_body=_templates.get_template("invitation.html").render(context),
    )


def invited(installation: Installation, interview: InterviewSession) -> Push:
    """The recruiter's note: the invitation went out, and until when it is open."""
    zone = zone_of(installation)
    marker = f"[interview {interview.public_id}]"
    text = (
        f"Async video interview invitation sent to {interview.candidate_email}.\n"
        f"Deadline: {deadline_in_words(interview.deadline_at, zone)}"
        f" ({deadline_iso(interview.deadline_at, zone)}).\n"
        f"{marker}"
    )
    outcome = Outcome("invited", interview.ats_application_id, interview.ats_candidate_id,
                      text, marker)
    return _push(installation, interview.id, f"invited:{interview.public_id}", outcome)


def no_email(installation: Installation, event: Event, entry: str) -> Push:
    """The recruiter's note when a candidate cannot be invited for want of an address."""
    marker = f"[interview application {event.application_id} stage {entry}]"
    ats = get_adapter(installation.ats)
    text = (
        "Async video interview not sent: this candidate has no e-mail address we may use. "
        f"Add one (and allow e-mail) in {ats.name if ats else 'the ATS'}, then move the "
        f"candidate into the stage again.\n{marker}"
    )
    outcome = Outcome("no_email", event.application_id, event.candidate.ats_id, text, marker)
    return _push(installation, None, f"no_email:{event.application_id}:{entry}", outcome)


def _push(installation: Installation, session_id: int | None, key: str, outcome: Outcome) -> Push:
    return Push(installation_id=installation.id, session_id=session_id, kind=outcome.kind,
                dedupe_key=key, payload=asdict(outcome))
