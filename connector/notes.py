"""The words we send: the candidate's e-mails and the notes for the recruiter's ATS."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, PackageLoader, select_autoescape

from adapters import get_adapter
from adapters.base import RECOMMENDATION_WORDS, Event, Outcome, Result
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


def stamp(moment: datetime) -> str:
    """A moment in UTC for keys and markers: the same whatever zone the database returns."""
    return moment.astimezone(UTC).isoformat()


def candidate_context(installation: Installation, interview: InterviewSession,
                      link: str) -> dict:
    """What every e-mail to the candidate says: who asks, for which job, where, and until when."""
    zone = zone_of(installation)
    return {
        "company": installation.organization.name,
        "candidate": interview.candidate_name,
        "job": interview.job_title,
        "link": link,
        "deadline_words": deadline_in_words(interview.deadline_at, zone),
        "deadline_iso": deadline_iso(interview.deadline_at, zone),
    }


def invitation_email(installation: Installation, interview: InterviewSession, link: str,
                     resend: int = 0) -> Email:
    """The candidate's invitation, keyed to send once per session (and once per resend)."""
    key = f"invitation:{interview.public_id}" + (f":resend:{resend}" if resend else "")
    return _candidate_email(installation, interview, link, "invitation", key,
                            "Your video interview with")


def reminder_email(installation: Installation, interview: InterviewSession, link: str) -> Email:
    """The one reminder before a deadline; a new deadline (an extension) may have its own."""
    key = f"reminder:{interview.public_id}:{stamp(interview.deadline_at)}"
    return _candidate_email(installation, interview, link, "reminder", key,
                            "Reminder: your video interview with")


def _candidate_email(installation: Installation, interview: InterviewSession, link: str,
                     kind: str, key: str, subject: str) -> Email:
    """An e-mail to the candidate from templates/email/<kind>.txt and .html."""
    context = candidate_context(installation, interview, link)
    job = f" for {interview.job_title}" if interview.job_title else ""
    return Email(
        organization_id=installation.organization_id,
        session_id=interview.id,
        kind=kind,
        dedupe_key=key,
        to_address=interview.candidate_email,
        subject=f"{subject} {installation.organization.name}{job}",
        text_body=_templates.get_template(f"{kind}.txt").render(context),
        html_body=_templates.get_template(f"{kind}.html").render(context),
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


def expired(installation: Installation, interview: InterviewSession, answered: int,
            total: int) -> Push:
    """The recruiter's note: the deadline passed before the candidate finished."""
    zone = zone_of(installation)
    marker = f"[interview {interview.public_id} expired {stamp(interview.deadline_at)}]"
    text = (
        "Async video interview expired: the candidate did not finish by "
        f"{deadline_in_words(interview.deadline_at, zone)}"
        f" ({deadline_iso(interview.deadline_at, zone)}).\n"
        f"Answers recorded: {answered} of {total}.\n"
        f"{marker}"
    )
    outcome = Outcome("expired", interview.ats_application_id, interview.ats_candidate_id,
                      text, marker)
    key = f"expired:{interview.public_id}:{stamp(interview.deadline_at)}"
    return _push(installation, interview.id, key, outcome)


def completed(installation: Installation, interview: InterviewSession,
              links: list[tuple[str, str]] = ()) -> Push:
    """The recruiter's note: every question is answered, with links to watch each answer."""
    zone = zone_of(installation)
    done_at = interview.completed_at
    marker = f"[interview {interview.public_id} completed {stamp(done_at)}]"
    lines = [f"Async video interview completed by {interview.candidate_email} on "
             f"{deadline_in_words(done_at, zone)} ({deadline_iso(done_at, zone)})."]
    lines += [f"{label}: {url}" for label, url in links]
    text = "\n".join([*lines, marker])
    outcome = Outcome("completed", interview.ats_application_id, interview.ats_candidate_id,
                      text, marker)
    # Keyed by the completion time: an answer reset and recorded again completes anew.
    return _push(installation, interview.id, f"completed:{interview.public_id}:{stamp(done_at)}",
                 outcome)


def scores(installation: Installation, interview: InterviewSession, summary: dict,
           review_url: str | None) -> Push:
    """The hiring team's note: each competency and question out of 5, the recommendations."""
    count = len(summary["reviewers"])
    marker = f"[interview {interview.public_id} scores {count}]"
    lines = [f"Async video interview scores for {interview.candidate_name}"
             + (f" ({interview.job_title})" if interview.job_title else ""),
             f"Reviewed by: {', '.join(summary['reviewers'])}",
             "Recommendations: " + ", ".join(
                 f"{RECOMMENDATION_WORDS[name]} {n}" for name, n in summary["recommendations"].items()
                 if n),
             f"Overall: {_out_of_5(summary['overall'])}", ""]
    lines += [f"{c['name']}: {_out_of_5(c['mean'])}" for c in summary["competencies"]]
    lines += [""] + [f"Question {i}. {q['prompt']}: {_out_of_5(q['mean'])}"
                     for i, q in enumerate(summary["questions"], start=1)]
    if review_url:
        lines += ["", f"Watch and review: {review_url}"]
    outcome = Outcome("scores", interview.ats_application_id, interview.ats_candidate_id,
                      "\n".join([*lines, marker]), marker, result=_result(summary, review_url))
    return _push(installation, interview.id, f"scores:{interview.public_id}:{count}", outcome)


def moved(installation: Installation, interview: InterviewSession, recommendation: str,
          stage_id: str) -> Push:
    """The application's move to the stage the admin chose for this decision: once a session."""
    marker = f"[interview {interview.public_id} decision {recommendation}]"
    outcome = Outcome("move", interview.ats_application_id, interview.ats_candidate_id,
                      f"Moved on the reviewers' decision: {RECOMMENDATION_WORDS[recommendation]}.",
                      marker, move_to_stage=stage_id)
    return _push(installation, interview.id, f"move:{interview.public_id}", outcome)


def majority(counts: dict[str, int]) -> str | None:
    """The recommendation most reviewers gave; None when nobody did or the top is a tie."""
    ranked = sorted(((n, name) for name, n in counts.items() if n), reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1]


def _result(summary: dict, review_url: str | None) -> Result:
    return Result(
        overall=summary["overall"], recommendation=majority(summary["recommendations"]),
        competencies=tuple((c["name"], c["mean"]) for c in summary["competencies"]),
        reviewers=tuple(summary["reviewers"]), review_url=review_url)




def _out_of_5(value: float | None) -> str:
    return "not rated" if value is None else f"{value:.1f} / 5"


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
