"""`connector serve`, `worker` and `db upgrade`: the processes a deployment runs."""

from __future__ import annotations

import os
import sys

import click

from config.gunicorn import CONTROL_SOCKET_OFF, LOGGER_CLASS
from connector import migrate
from connector.installations import flag_unusable_credentials
from connector.cli.environment import command_services
from connector.sandbox.cli import seed_and_describe


@click.command()
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
    services = command_services()
    migrate.upgrade(services.db.engine)
    if services.settings.sandbox:
        for line in seed_and_describe(services):
            click.echo(line)
    services.close()
    click.echo(f"Serving on http://{host}:{port}  (Ctrl-C stops)")
    os.execvp(sys.executable, [
        sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
        "--access-logfile", "-", "--logger-class", LOGGER_CLASS, CONTROL_SOCKET_OFF,
        "connector.wsgi:app",
    ])


@click.command()
def worker() -> None:
    """Run an rq worker with its scheduler, and the sweeper that re-enqueues stuck rows."""
    from jobs.worker import run_worker

    run_worker(command_services())


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied; flag installations whose credentials lapsed."""
    services = command_services()
    migrate.upgrade(services.db.engine)
    click.echo("database is up to date")
    # The release step runs this: an ATS that stopped taking a kind of credentials (Harvest
    # API keys after 2026-08-31) shows as "needs attention" before the first push fails.
    with services.db.session() as session:
        flagged = flag_unusable_credentials(session, services.keyring)
    for public_id in flagged:
        click.echo(f"installation {public_id} needs new API credentials")
