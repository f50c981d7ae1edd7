"""The `connector` command: serve, worker, db, install, sessions (list, extend, resend, reset)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import select

from config import SettingsError, load_settings
from config.gunicorn import LOGGER_CLASS
from config.logging import configure_logging
from connector import lifecycle, migrate, organizations
from connector.installations import InstallError, create_installation, webhook_url
from connector.models import Installation, InterviewSession
from connector.services import Services, install
from connector.wiring import build_services
from jobs.lifecycle import enqueue_rows, schedule


def _services(synchronous_jobs: bool = False) -> Services:
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException("refusing to start:\n  " + "\n  ".join(exc.problems)) from exc
    configure_logging(settings.log_level)
    return install(build_services(settings, synchronous_jobs=synchronous_jobs))


@click.group()
def main() -> None:
    """Connect an ATS to async video interviews."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", 8000)), show_default="$PORT or 8000")
@click.option("--workers", default=2, show_default=True)
def serve(host: str, port: int, workers: int) -> None:
    """Migrate the database (and seed the sandbox ATS), then run the web service under gunicorn."""
    if not os.environ.get("PUBLIC_BASE_URL") and \
            os.environ.get("CONNECTOR_ENV", "").strip().lower() != "production":
        # Links and the sandbox's own webhooks must reach this server, on whatever port it has.
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        os.environ["PUBLIC_BASE_URL"] = f"http://{local}:{port}"
    if not os.environ.get("ALLOW_PRIVATE_ATS_HOSTS") and \
            os.environ.get("CONNECTOR_ENV", "").strip().lower() != "production":
        # The sandbox board's API is this server, on loopback.
        os.environ["ALLOW_PRIVATE_ATS_HOSTS"] = "on"
    services = _services()
    migrate.upgrade(services.db.engine)
    if services.settings.sandbox:
        from connector.sandbox.cli import seed_and_describe

        for line in seed_and_describe(services):
            click.echo(line)
    services.close()
    click.echo(f"Serving on http://{host}:{port}  (Ctrl-C stops)")
    os.execvp(sys.executable, [
        sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
        "--access-logfile", "-", "--logger-class", LOGGER_CLASS, "connector.wsgi:app",
    ])


@main.command()
def worker() -> None:
    """Run an rq worker with its scheduler, and the sweeper that re-enqueues stuck rows."""
    from jobs.worker import run_worker

    run_worker(_services())


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied."""
    migrate.upgrade(_services().db.engine)
    click.echo("database is up to date")


@main.command("install")
@click.argument("ats")
@click.option("--organization", required=True,
              help="An organization's id (org_...), or a name: an organization that has it and "
                   "was never renamed, else a new organization (refused when it is ambiguous).")
@click.option("--name", required=True)
@click.option("--trigger-stage", "trigger_stages", multiple=True, required=True,
              help="A stage id or name; repeat for several.")
@click.option("--template", "template_id", type=int)
@click.option("--api-base-url")
@click.option("--credential", "credentials", multiple=True, metavar="KEY=VALUE")
def install_command(ats, organization, name, trigger_stages, template_id, api_base_url,
                    credentials) -> None:
    """Connect an ATS account; prints the webhook URL and secret to paste into the ATS."""
    services = _services()
    try:
        with services.db.session() as session:
            org = organizations.find_or_create(session, organization)
            installation, secret = create_installation(
                session, services.keyring, ats=ats, organization=org.name, name=name,
                trigger_stages=list(trigger_stages), template_id=template_id,
                api_base_url=api_base_url, credentials=_pairs(credentials),
                strict_hosts=services.settings.production)
            result = {
                "installation_id": installation.public_id,
                "webhook_url": webhook_url(services.settings.public_base_url, installation),
                "webhook_secret": secret,
                "organization_id": org.public_id,
            }
    except (InstallError, organizations.OrganizationError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result))


@main.group()
def sessions() -> None:
    """Interview sessions."""


@sessions.command("list")
@click.option("--installation", "installation_id", help="An installation id (inst_...).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def sessions_list(installation_id: str | None, as_json: bool) -> None:
    """List interview sessions, newest first."""
    services = _services()
    with services.db.session() as session:
        query = select(InterviewSession).join(Installation).order_by(InterviewSession.id.desc())
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
    services = _command_services()
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
    services = _command_services()
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
    services = _command_services()
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
    services = _command_services()
    with _refusals(), services.db.session() as session:
        interview = lifecycle.find(session, session_id)
        lifecycle.accommodate(interview, time_factor, extra_retakes)
        result = _summary(interview) | {"time_factor": interview.time_factor,
                                        "extra_retakes": interview.extra_retakes}
    click.echo(json.dumps(result))


def _command_services() -> Services:
    # Without Redis a command's e-mails and notes go out before it returns; its timers are
    # left to the sweeper of the process that serves the web (a command does not linger).
    return _services(synchronous_jobs=True)


@contextmanager
def _refusals() -> Iterator[None]:
    """A refused correction exits with status 1 and its reason; the transaction rolls back."""
    try:
        yield
    except lifecycle.LifecycleError as exc:
        raise click.ClickException(str(exc)) from exc


def _summary(interview: InterviewSession) -> dict:
    return {"id": interview.public_id, "state": interview.state.value,
            "deadline": interview.deadline_at.isoformat()}


def _session_row(interview: InterviewSession) -> dict:
    return {
        "id": interview.public_id,
        "state": interview.state.value,
        "candidate_email": interview.candidate_email,
        "ats_application_id": interview.ats_application_id,
        "deadline": interview.deadline_at.isoformat(),
    }


def _pairs(items: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item.split('=')[0]!r}",
                                     param_hint="--credential")
        pairs[key.strip()] = value
    return pairs


# Command groups kept in their own modules (they import this one's `main` and `sessions`).
from connector import cli_access, cli_installations  # noqa: E402
from connector.cli_keys import keys  # noqa: E402
from connector.cli_pushes import pushes  # noqa: E402
from connector.cli_tokens import tokens  # noqa: E402
from connector.sandbox.cli import sandbox  # noqa: E402

cli_access.register_commands(main, sessions)
main.add_command(pushes)
main.add_command(tokens)
main.add_command(keys)
main.add_command(sandbox)
main.add_command(cli_installations.installations)

if __name__ == "__main__":
    main()
