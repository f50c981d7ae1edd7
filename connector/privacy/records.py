"""Records of processing (GDPR Art. 30): per installation, what personal data is held, where,
for how long, and how much of it is held now. `connector privacy report` and /admin/privacy."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from urllib.parse import unquote, urlsplit

from sqlalchemy import case, func, select

from adapters import get_adapter
from connector.models import (
    AccessEvent, Answer, AnswerKind, Email, ErasureReceipt, Installation, Interview,
    InterviewTemplate, Organization, OutboxStatus, Push, ReviewerInvitation, Scorecard, User,
    WebhookDelivery,
)
from connector.privacy.retention import DELIVERY_BODY_DAYS

# Stored webhook bodies are emptied this many days after they arrive (sooner on erasure): the
# one place the report takes the bound from.
NOT_YET_SENT = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.HELD)
SETTLED = "after the interview is decided, expired or cancelled"


@dataclass(frozen=True)
class Category:
    """One category of personal data: what it is, where it is, how long it stays, how much."""

    key: str
    name: str
    data: str
    where: list[str]
    kept: str
    kept_days: int | None  # None: not a fixed number of days
    held: dict[str, int]


@dataclass(frozen=True)
class InstallationRecord:
    """What one installation (one ATS account) holds."""

    id: str
    name: str
    ats: str
    ats_name: str
    categories: list[Category]


@dataclass(frozen=True)
class Record:
    """One organization's records of processing: its settings, installations and accounts."""

    organization_id: str
    organization: str
    retention_days: int
    template_retention: dict[str, int]  # templates with their own period: name -> days
    privacy_contact: str | None
    erasure_wait_days: int
    access_log_days: int
    installations: list[InstallationRecord]
    organization_wide: list[Category] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def report(session, storage_description: str, organization_id: int | None = None) -> list[Record]:
    """The records of one organization (by its row id), or of every organization."""
    query = select(Organization).order_by(Organization.name)
    if organization_id is not None:
        query = query.where(Organization.id == organization_id)
    return [_record(session, organization, storage_description)
            for organization in session.scalars(query)]


# How each count reads: (one, many).
COUNTED = {
    "interviews": ("interview", "interviews"),
    "anonymous_records": ("anonymous record", "anonymous records"),
    "recordings": ("recording", "recordings"),
    "written_answers": ("written answer", "written answers"),
    "consents": ("consent", "consents"),
    "accommodation_requests": ("accommodation request", "accommodation requests"),
    "scorecards": ("scorecard", "scorecards"),
    "comments": ("comment", "comments"),
    "emails": ("e-mail", "e-mails"),
    "pushes_not_yet_sent": ("push not yet sent", "pushes not yet sent"),
    "deliveries_with_body": ("delivery with its body", "deliveries with their body"),
    "users": ("user", "users"),
    "reviewer_invitations": ("reviewer invitation", "reviewer invitations"),
    "access_log_lines": ("line", "lines"),
    "erasure_receipts": ("receipt", "receipts"),
}


def held_in_words(category: Category) -> str:
    """'1 interview, 0 anonymous records'; bytes as a size ('9.8 MB')."""
    parts = []
    for key, count in category.held.items():
        if key.endswith("_bytes"):
            parts.append(_size(count))
        else:
            one, many = COUNTED[key]
            parts.append(f"{count:,} {one if count == 1 else many}")
    return ", ".join(parts)


def _size(count: int) -> str:
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return f"{count} bytes"


def describe_storage(recordings_url: str, endpoint_url: str | None = None) -> str:
    """Where recordings are kept, in words: a directory's path, or an S3 bucket and prefix."""
    parts = urlsplit(recordings_url)
    if parts.scheme == "file":
        return f"the directory {unquote(parts.path)}"
    prefix = parts.path.strip("/")
    host = urlsplit(endpoint_url).hostname if endpoint_url else None
    return (f"the S3 bucket {parts.netloc}" + (f", prefix {prefix}/" if prefix else "")
            + (f", at {host}" if host else ""))


def _record(session, organization: Organization, storage: str) -> Record:
    overrides = dict(session.execute(
        select(InterviewTemplate.name, InterviewTemplate.retention_days).where(
            InterviewTemplate.organization_id == organization.id,
            InterviewTemplate.retention_days.is_not(None)).order_by(InterviewTemplate.name)).all())
    installations = session.scalars(select(Installation).where(
        Installation.organization_id == organization.id).order_by(Installation.name)).all()
    counts = _counts(session, organization.id)
    retention = _retention_words(organization.retention_days, overrides)
    return Record(
        organization_id=organization.public_id, organization=organization.name,
        retention_days=organization.retention_days, template_retention=overrides,
        privacy_contact=organization.privacy_contact,
        erasure_wait_days=organization.erasure_wait_days,
        access_log_days=organization.access_log_days,
        installations=[_installation(i, counts[i.id], storage, retention,
                                     organization.retention_days) for i in installations],
        organization_wide=_organization_wide(session, organization))


def _retention_words(days: int, overrides: dict[str, int]) -> str:
    words = f"{days} days {SETTLED}"
    if overrides:
        words += "; " + ", ".join(f"{n} days for template “{name}”"
                                  for name, n in overrides.items())
    return words


def _installation(installation: Installation, held: dict[str, int], storage: str,
                  retention: str, days: int) -> InstallationRecord:
    adapter = get_adapter(installation.ats)
    ats = adapter.name if adapter else installation.ats
    in_ats = f"{ats}: the candidate's own record, and the notes the connector wrote there"

    def category(key, name, data, where, kept, kept_days, *counted):
        return Category(key, name, data, list(where), kept, kept_days,
                        {k: held.get(k, 0) for k in counted})

    return InstallationRecord(installation.public_id, installation.name, installation.ats, ats, [
        category("candidate_identity", "Candidate identity",
                 "name, e-mail address, ATS candidate and application ids, job title",
                 ["database: interview_sessions, application_stages", in_ats],
                 retention, days, "interviews", "anonymous_records"),
        category("recordings", "Recordings (video and audio)", "the candidate's face and voice",
                 [f"recording storage: {storage}, under {installation.id}/",
                  "database: answers, answer_chunks (sizes and checksums)"],
                 retention, days, "recordings", "recording_bytes"),
        category("written_answers", "Written answers", "text the candidate wrote",
                 ["database: answers"], retention, days, "written_answers"),
        category("consent", "Consent records",
                 "when the candidate agreed, to which text and version",
                 ["database: interview_sessions"],
                 retention + " (the anonymous record keeps the time and version)", days,
                 "consents"),
        category("accommodations", "Accommodation requests", "what the candidate asked for",
                 ["database: interview_sessions", f"{ats}: a note to the recruiter"],
                 retention, days, "accommodation_requests"),
        category("scores", "Reviewers' scores and comments",
                 "ratings, recommendation and comments about the candidate",
                 ["database: scorecards, ratings",
                  f"{ats}: notes, the score field (when set) and stage moves"],
                 retention + " (scores stay in the anonymous record, comments do not)", days,
                 "scorecards", "comments"),
        category("emails", "E-mails in the outbox",
                 "invitations, reminders and reviewer invitations: address and text",
                 ["database: emails"], retention, days, "emails"),
        category("pushes", "Notes and results for the ATS", "what is written to the ATS",
                 ["database: pushes", f"{ats}, once delivered"], retention, days,
                 "pushes_not_yet_sent"),
        category("webhook_bodies", "Stored webhook bodies",
                 "the ATS's events as received: candidate name, e-mail and ids",
                 ["database: webhook_deliveries"],
                 f"{DELIVERY_BODY_DAYS} days after they arrive, then emptied",
                 DELIVERY_BODY_DAYS, "deliveries_with_body"),
    ])


def _organization_wide(session, organization: Organization) -> list[Category]:
    org = organization.id
    users = session.scalar(select(func.count(User.id)).where(User.organization_id == org))
    invitations = session.scalar(select(func.count(ReviewerInvitation.id)).join(
        Interview, ReviewerInvitation.session_id == Interview.id).join(Installation).where(
        Installation.organization_id == org))
    lines = session.scalar(select(func.count(AccessEvent.id)).where(
        AccessEvent.organization_id == org))
    receipts = session.scalar(select(func.count(ErasureReceipt.id)).where(
        ErasureReceipt.organization_id == org))
    days = organization.access_log_days
    return [
        Category("accounts", "Reviewers' and admins' accounts",
                 "name, e-mail address, role, password hash; invited reviewers' name and e-mail",
                 ["database: users, sign_in_states, reviewer_invitations"],
                 "until removed", None, {"users": users, "reviewer_invitations": invitations}),
        Category("access_log", "The access log",
                 "who viewed, downloaded, exported or erased what, when, from which address",
                 ["database: access_events"], f"{days} days", days,
                 {"access_log_lines": lines}),
        Category("erasure_receipts", "Erasure receipts",
                 "what was erased, when, by whom and why: no personal data of the candidate",
                 ["database: erasure_receipts"], "as proof of the erasure", None,
                 {"erasure_receipts": receipts}),
    ]


def _counts(session, org: int) -> dict[int, dict[str, int]]:
    """Every count of every installation of the organization, a few grouped queries in all."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    mine = Installation.organization_id == org
    live = Interview.erased_at.is_(None)

    def put(rows, *names):
        for installation_id, *values in rows:
            counts[installation_id].update({n: int(v or 0) for n, v in zip(names, values)})

    def number(condition):
        return func.sum(case((condition, 1), else_=0))

    put(session.execute(select(
        Interview.installation_id, number(live), number(~live),
        number(live & Interview.consented_at.is_not(None)),
        number(live & Interview.accommodation_request.is_not(None)),
    ).join(Installation).where(mine).group_by(Interview.installation_id)),
        "interviews", "anonymous_records", "consents", "accommodation_requests")
    recorded = Answer.kind.in_((AnswerKind.VIDEO, AnswerKind.AUDIO))
    put(session.execute(select(
        Interview.installation_id, number(recorded),
        func.sum(case((recorded, Answer.size_bytes), else_=0)),
        number((Answer.kind == AnswerKind.TEXT) & Answer.text.is_not(None)),
    ).join(Interview, Answer.session_id == Interview.id).join(Installation).where(mine)
        .group_by(Interview.installation_id)), "recordings", "recording_bytes", "written_answers")
    put(session.execute(select(
        Interview.installation_id, func.count(Scorecard.id), number(Scorecard.comments != ""),
    ).join(Interview, Scorecard.session_id == Interview.id).join(Installation).where(mine)
        .group_by(Interview.installation_id)), "scorecards", "comments")
    put(session.execute(select(Interview.installation_id, func.count(Email.id))
                        .join(Interview, Email.session_id == Interview.id)
                        .where(Email.organization_id == org).group_by(Interview.installation_id)),
        "emails")
    put(session.execute(select(Push.installation_id, func.count(Push.id)).join(Installation)
                        .where(mine, Push.status.in_(NOT_YET_SENT))
                        .group_by(Push.installation_id)), "pushes_not_yet_sent")
    put(session.execute(select(WebhookDelivery.installation_id, func.count(WebhookDelivery.id))
                        .join(Installation).where(mine, WebhookDelivery.body != "")
                        .group_by(WebhookDelivery.installation_id)), "deliveries_with_body")
    return counts
