"""Interviews started and stopped by a person (the API) rather than by an ATS stage move.

A hand-made session goes out exactly as one from a webhook: the same pinned plan, the same
invitation e-mail and the same "invited" note on the candidate in the ATS.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from connector import crypto, notes
from connector.interviews import (
    OPEN_STATES,
    Handled,
    Timers,
    add_once,
    interview_link,
    plan_of,
    template_for,
)
from connector.lifecycle import LifecycleError
from connector.privacy import retention
from connector.models import (
    Installation,
    Interview,
    InterviewTemplate,
    InterviewState,
    utcnow,
)

log = logging.getLogger("connector.manual")
MANUAL_ENTRY = "manual"


def default_template(db, installation: Installation) -> InterviewTemplate:
    """The template of the installation's first trigger stage, or the built-in default."""
    rule = installation.stage_rules[0] if installation.stage_rules else None
    if rule is not None:
        return template_for(db, rule)
    return db.scalar(select(InterviewTemplate).where(InterviewTemplate.is_builtin)
                     .order_by(InterviewTemplate.id).limit(1))


def open_session_of(db, installation: Installation,
                    application_id: str) -> Interview | None:
    return db.scalar(select(Interview).where(
        Interview.installation_id == installation.id,
        Interview.ats_application_id == application_id,
        Interview.state.in_(OPEN_STATES)).limit(1))


def invite(db, keyring: crypto.Keyring, base_url: str, installation: Installation,
           template: InterviewTemplate, *, candidate_name: str, candidate_email: str,
           job_title: str, application_id: str, candidate_id: str) -> tuple[Interview, Handled]:
    """Create a session for an application that has no open one, with its e-mail and note."""
    existing = open_session_of(db, installation, application_id)
    if existing is not None:
        raise LifecycleError(f"application {application_id} already has an open interview "
                             f"({existing.public_id}); cancel it first")
    public_id = crypto.new_public_id("ses")
    token = crypto.new_token()
    interview = Interview(
        public_id=public_id, installation=installation, template_id=template.id,
        ats_application_id=application_id, ats_candidate_id=candidate_id,
        # Each hand-made session is an entry of its own, so it never collides with one a
        # stage move made (those are "<stage id>#<n>").
        stage_entry=f"{MANUAL_ENTRY}:{public_id}",
        candidate_name=candidate_name, candidate_email=candidate_email, job_title=job_title,
        token_hash=crypto.hash_token(token), token_encrypted=keyring.encrypt(token),
        deadline_at=utcnow() + timedelta(hours=template.deadline_hours),
        plan=plan_of(template), template_version=template.version, rubric=template.rubric,
        reminder_hours=template.reminder_hours,
    )
    db.add(interview)
    db.flush()
    email = add_once(db, notes.invitation_email(installation, interview,
                                                interview_link(base_url, token)))
    push = add_once(db, notes.invited(installation, interview))
    log.info("manual.invited session=%s", interview.public_id)
    return interview, Handled("invited", [email.id], [push.id], [Timers.of(interview)])


def cancel(interview: Interview) -> None:
    """Close an open interview: its link stops working and no reminder follows."""
    if interview.state not in OPEN_STATES:
        raise LifecycleError(f"session {interview.public_id} is {interview.state.value}; "
                             "only an invited or started interview can be cancelled")
    interview.state = InterviewState.CANCELLED
    retention.settle(interview)
    log.info("manual.cancelled session=%s", interview.public_id)
