"""`connector sessions`: list interview sessions; extend, resend, reset or accommodate one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import select

from connector import lifecycle
from connector.cli.environment import command_services
from connector.models import Installation, Interview
from connector.services import Services
from jobs.lifecycle import enqueue_rows, schedule


@click.group()
def sessions() -> None:
    """Interview sessions."""


@sessions.command("list")
@click.option("--installation", "installation_id", help="An installation id (inst_...).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def sessions_list(installation_id: str | None, as_json: bool) -> None:
    """List interview sessions, newest first."""
    services = command_services()
    with services.db.session() as session:
        query = select(Interview).join(Installation).order_by(Interview.id.desc())
        if installation_id:
            query = query.where(Installation.public_id == installation_id)
        rows = [_session_row(s) for s in session.scalars(query)]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(f"{row['id']}  {row['state']:<9}  {row['deadline']}  {row['candidate_email']}")


@sessions.command("extend")
@click.argument("session_id", metavar="ID")
@click.option("--hours", type=int, required=True,
              help="Hours added to the deadline, or to now if it has passed.")
def sessions_extend(session_id: str, hours: int) -> None:
    """Move a session's deadline later; an expired session opens again."""
    services = _synchronous_services()
    with _refusals(), services.db.session() as session:
        interview = lifecycle.find(session, session_id)
        timers = lifecycle.extend(session, interview, hours)
        result = _summary(interview)
    result["reminder_at"] = timers.reminder_at.isoformat() if timers.reminder_at else None
    schedule(services.queue, [timers])
    click.echo(json.dumps(result))


@sessions.command("resend")
@click.argument("session_id", metavar="ID")
def sessions_resend(session_id: str) -> None:
    """E-mail the invitation again, with the same personal link."""
    services = _synchronous_services()
    with _refusals(), services.db.session() as session:
        interview = lifecycle.find(session, session_id)
        email = lifecycle.resend(session, interview, services.settings.public_base_url,
                                 services.keyring)
        result = _summary(interview) | {"email_id": email.id}
    enqueue_rows(services.queue, email_ids=[email.id])
    click.echo(json.dumps(result))


@sessions.command("reset-answer")
@click.argument("session_id", metavar="ID")
@click.argument("question", type=int)
def sessions_reset_answer(session_id: str, question: int) -> None:
    """Delete the answer to QUESTION (its position: 1, 2, ...) so it can be recorded again."""
    services = _synchronous_services()
    with _refusals(), services.db.session() as session:
        interview = lifecycle.find(session, session_id)
        keys = lifecycle.reset_answer(session, interview, question, services.storage)
        result = _summary(interview) | {"question": question, "files_deleted": len(keys)}
    click.echo(json.dumps(result))


@sessions.command("accommodate")
@click.argument("session_id", metavar="ID")
@click.option("--time-factor", type=click.FloatRange(1.0, 4.0), default=1.0, show_default=True,
              help="Multiplies every prep and answer time (1.5 = half as long again).")
@click.option("--extra-retakes", type=click.IntRange(0, 10), default=0, show_default=True,
              help="Retakes added to every question.")
def sessions_accommodate(session_id: str, time_factor: float, extra_retakes: int) -> None:
    """Give a candidate more time and retakes, for the questions not yet answered."""
    services = _synchronous_services()
    with _refusals(), services.db.session() as session:
        interview = lifecycle.find(session, session_id)
        lifecycle.accommodate(interview, time_factor, extra_retakes)
        result = _summary(interview) | {"time_factor": interview.time_factor,
                                        "extra_retakes": interview.extra_retakes}
    click.echo(json.dumps(result))


def _synchronous_services() -> Services:
    # Without Redis a command's e-mails and notes go out before it returns; its timers are
    # left to the sweeper of the process that serves the web (a command does not linger).
    return command_services(synchronous_jobs=True)


@contextmanager
def _refusals() -> Iterator[None]:
    """A refused correction exits with status 1 and its reason; the transaction rolls back."""
    try:
        yield
    except lifecycle.LifecycleError as exc:
        raise click.ClickException(str(exc)) from exc


def _summary(interview: Interview) -> dict:
    return {"id": interview.public_id, "state": interview.state.value,
            "deadline": interview.deadline_at.isoformat()}


def _session_row(interview: Interview) -> dict:
    return {
        "id": interview.public_id,
        "state": interview.state.value,
        "candidate_email": interview.candidate_email,
        "ats_application_id": interview.ats_application_id,
        "deadline": interview.deadline_at.isoformat(),
    }
