"""The words we send: the candidate's e-mails and the notes for the recruiter's ATS."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, PackageLoader, select_autoescape

from adapters import get_adapter
from adapters.events import Event, Outcome, RECOMMENDATION_WORDS, Verdict
from connector import plan
from connector.models import Email, Installation, Interview, Push
from connector.privacy.notice import notice_of

SUBJECT_CHARACTERS = Email.subject.type.length  # a long company name and job title together

_templates = Environment(
    loader=PackageLoader("connector", "templates/email"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
UNNAMED = "Candidate"  # the name a session gets when the ATS sends none


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


def candidate_context(installation: Installation, interview: Interview,
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
        **start_by(interview, zone),
        "notice": notice_of(interview, installation.organization),
    }


def _fit(text: str, limit: int) -> str:
    """The text, cut with an ellipsis where it would not fit its column."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def start_by(interview: Interview, zone: ZoneInfo) -> dict:
    """How long the interview takes, and the last time to begin it and finish comfortably."""
    minutes = plan.minutes_needed(interview)
    start = interview.deadline_at - timedelta(minutes=minutes)
    return {"minutes_needed": minutes, "start_by_words": deadline_in_words(start, zone)}


def invitation_email(installation: Installation, interview: Interview, link: str,
                     resend: int = 0) -> Email:
    """The candidate's invitation, keyed to send once per session (and once per resend)."""
    key = f"invitation:{interview.public_id}" + (f":resend:{resend}" if resend else "")
    return _candidate_email(installation, interview, link, "invitation", key,
                            "Your video interview with")


def reminder_email(installation: Installation, interview: Interview, link: str) -> Email:
    """The one reminder before a deadline; a new deadline (an extension) may have its own."""
    key = f"reminder:{interview.public_id}:{stamp(interview.deadline_at)}"
    return _candidate_email(installation, interview, link, "reminder", key,
                            "Reminder: your video interview with")


def _candidate_email(installation: Installation, interview: Interview, link: str,
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
        subject=_fit(f"{subject} {installation.organization.name}{job}", SUBJECT_CHARACTERS),
        text_body=_templates.get_template(f"{kind}.txt").render(context),
        html_body=_templates.get_template(f"{kind}.html").render(context),
    )


def invited(installation: Installation, interview: Interview) -> Push:
    """The recruiter's note: the invitation went out, and until when it is open."""
    zone = zone_of(installation)
    marker = reference(interview.public_id, "invited")
    text = _note(
        f"{_who(interview)} was invited to the async video interview{_for_job(interview)}.",
        f"The invitation went to {interview.candidate_email} and is open until "
        f"{deadline_in_words(interview.deadline_at, zone)}.",
        "", marker)
    outcome = Outcome("invited", interview.ats_application_id, interview.ats_candidate_id,
                      text, marker)
    return _push(installation, interview.id, f"invited:{interview.public_id}", outcome)


def expired(installation: Installation, interview: Interview, answered: int,
            total: int) -> Push:
    """The recruiter's note: the deadline passed before the candidate finished."""
    zone = zone_of(installation)
    deadline = stamp(interview.deadline_at)
    marker = reference(interview.public_id, "expired", deadline)
    text = _note(
        f"The async video interview{_for_job(interview)} expired on "
        f"{deadline_in_words(interview.deadline_at, zone)} before {_who(interview, start=False)} "
        "finished it.",
        _recorded(answered, total), "", marker)
    outcome = Outcome("expired", interview.ats_application_id, interview.ats_candidate_id,
                      text, marker)
    return _push(installation, interview.id, f"expired:{interview.public_id}:{deadline}",
                 outcome)


def completed(installation: Installation, interview: Interview,
              links: list[tuple[str, str]] = ()) -> Push:
    """The recruiter's note: every question is answered, with links to watch each answer."""
    zone = zone_of(installation)
    done_at = stamp(interview.completed_at)
    marker = reference(interview.public_id, "completed", done_at)
    lines = [f"{_who(interview)} completed the async video interview{_for_job(interview)} on "
             f"{deadline_in_words(interview.completed_at, zone)}.", ""]
    for number, (label, url) in enumerate(links):
        # The first link opens every answer; a blank line sets it apart from the single ones.
        lines += [f"{label}:", url, *([""] if number == 0 and len(links) > 1 else [])]
    text = _note(*lines, *([""] if links else []), marker)
    outcome = Outcome("completed", interview.ats_application_id, interview.ats_candidate_id,
                      text, marker)
    # Keyed by the completion time: an answer reset and recorded again completes anew.
    return _push(installation, interview.id, f"completed:{interview.public_id}:{done_at}",
                 outcome)


def scores(installation: Installation, interview: Interview, summary: dict,
           review_url: str | None) -> Push:
    """The hiring team's note: each competency and question out of 5, the recommendations."""
    count = len(summary["reviewers"])
    marker = reference(interview.public_id, "scores", str(count))
    job = f" ({interview.job_title})" if interview.job_title else ""
    lines = [f"Async video interview scores for {_who(interview)}{job}.",
             f"Reviewed by {_listed(summary['reviewers'])}." if count else "Not reviewed yet.",
             _recommendations(summary["recommendations"]),
             f"Overall score: {_out_of_5(summary['overall'])}.", ""]
    if summary["competencies"]:
        lines += ["Competencies:", *(_rated(c["name"], c["mean"])
                                     for c in summary["competencies"]), ""]
    if summary["questions"]:
        lines += ["Questions:", *(_rated(f"{i}. {q['prompt']}", q["mean"])
                                  for i, q in enumerate(summary["questions"], start=1)), ""]
    if review_url:
        lines += ["Watch and review the answers:", review_url, ""]
    outcome = Outcome("scores", interview.ats_application_id, interview.ats_candidate_id,
                      _note(*lines, marker), marker, result=_verdict(summary, review_url))
    return _push(installation, interview.id, f"scores:{interview.public_id}:{count}", outcome)


def erasure_requested(installation: Installation, interview: Interview) -> Push:
    """The recruiter's note: the candidate withdrew consent and asked for their data's erasure."""
    zone = zone_of(installation)
    marker = reference(interview.public_id, "erasure requested")
    text = _note(
        f"{_who(interview)} withdrew their consent to the async video interview"
        f"{_for_job(interview)} and asked for their data to be erased.",
        "The connector erases the interview, its recordings and the candidate's personal data "
        f"on {deadline_in_words(interview.erasure_due_at, zone)}. Nothing needs doing here; "
        "notes already in this ATS stay until removed in the ATS.",
        "", marker)
    outcome = Outcome("erasure_requested", interview.ats_application_id,
                      interview.ats_candidate_id, text, marker)
    return _push(installation, interview.id, f"erasure_requested:{interview.public_id}",
                 outcome)


def moved(installation: Installation, interview: Interview, recommendation: str,
          stage_id: str) -> Push:
    """The application's move to the stage the admin chose for this decision: once a session."""
    marker = reference(interview.public_id, "decision", recommendation)
    text = _note(f"The reviewers' decision was “{RECOMMENDATION_WORDS[recommendation]}”, so "
                 "the application moved to the stage chosen for that decision.", "", marker)
    outcome = Outcome("move", interview.ats_application_id, interview.ats_candidate_id,
                      text, marker, move_to_stage=stage_id)
    return _push(installation, interview.id, f"move:{interview.public_id}", outcome)


def majority(counts: dict[str, int]) -> str | None:
    """The recommendation most reviewers gave; None when nobody did or the top is a tie."""
    ranked = sorted(((n, name) for name, n in counts.items() if n), reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1]


def _verdict(summary: dict, review_url: str | None) -> Verdict:
    return Verdict(
        overall=summary["overall"], recommendation=majority(summary["recommendations"]),
        competencies=tuple((c["name"], c["mean"]) for c in summary["competencies"]),
        reviewers=tuple(summary["reviewers"]), review_url=review_url)




def _out_of_5(value: float | None) -> str:
    return "not rated" if value is None else f"{value:.1f} / 5"


def _rated(name: str, value: float | None) -> str:
    """'Motivation for this role — not rated': a name's own closing full stop or colon dropped."""
    return f"{name.strip().rstrip('.:;,').rstrip()} — {_out_of_5(value)}"


def _recommendations(counts: dict[str, int]) -> str:
    given = [f"{n} {RECOMMENDATION_WORDS[name].lower()}" for name, n in counts.items() if n]
    return f"Recommendations: {_listed(given)}." if given else "No recommendation was given."


def _recorded(answered: int, total: int) -> str:
    if not answered:
        return "No answers had been recorded."
    return f"{answered} of {total} {'answer' if total == 1 else 'answers'} had been recorded."


def _who(interview: Interview, start: bool = True) -> str:
    """The candidate's name, or 'The candidate' where the ATS gave none."""
    name = (interview.candidate_name or "").strip()
    if name and name != UNNAMED:
        return name
    return "The candidate" if start else "the candidate"


def _for_job(interview: Interview) -> str:
    return f" for {interview.job_title}" if interview.job_title else ""


def _listed(items: list[str]) -> str:
    """'Ana, Bo and Dana'."""
    items = [str(item) for item in items]
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def _note(*lines: str) -> str:
    return "\n".join(lines)


def reference(source: str, kind: str, detail: str | None = None) -> str:
    """The note's last line, 'Ref: IV-7K3QM2 (completed 4F2A)', by which a retry finds it."""
    # The code stands for the session (or the application and stage entry where there is none),
    # the suffix for what makes this kind unique. Adapters search a note's body for this text:
    # the closing bracket ends every reference, so none is ever found inside a longer one; and
    # six characters suffice, as a search only looks through one candidate's notes.
    suffix = f" {_code(f'{source}|{kind}|{detail}', 4)}" if detail is not None else ""
    return f"Ref: IV-{_code(source, 6)} ({kind}{suffix})"


def _code(text: str, length: int) -> str:
    """Characters of a hash in Crockford's base 32: no I, L, O or U to misread."""
    number = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    return "".join(_CROCKFORD[(number >> (5 * i)) & 31] for i in range(length))


def no_email(installation: Installation, event: Event, entry: str) -> Push:
    """The recruiter's note when a candidate cannot be invited for want of an address."""
    marker = reference(f"{event.application_id}|{entry}", "no e-mail")
    ats = get_adapter(installation.ats)
    text = _note(
        "The async video interview was not sent: this candidate has no e-mail address we may "
        "use.",
        f"To invite them, add an address (and allow e-mail) in {ats.name if ats else 'the ATS'}, "
        "then move the candidate into this stage again.",
        "", marker)
    outcome = Outcome("no_email", event.application_id, event.candidate.ats_id, text, marker)
    return _push(installation, None, f"no_email:{event.application_id}:{entry}", outcome)


def _push(installation: Installation, session_id: int | None, key: str, outcome: Outcome) -> Push:
    return Push(installation_id=installation.id, session_id=session_id, kind=outcome.kind,
                dedupe_key=key, payload=asdict(outcome))
