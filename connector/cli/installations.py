"""`connector installations`: an installation's webhook secret, rotated with a grace period."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from connector.installations import InstallError, rotate_webhook_secret
from connector.models import Installation


def _services():
    # Imported here: connector.cli registers this group at its end, so it is half-built when
    # this module loads.
    from connector.cli import _services as services

    return services()


@click.group()
def installations() -> None:
    """Installations (connections to an ATS account)."""


@installations.command("rotate-secret")
@click.argument("installation_id", metavar="ID")
@click.option("--grace-hours", type=click.IntRange(0, 24 * 7), default=24, show_default=True,
              help="Hours the current secret still verifies deliveries.")
def rotate_secret(installation_id: str, grace_hours: int) -> None:
    """Give installation ID (inst_...) a new webhook secret; prints it, once.

    Paste it into the ATS before the grace ends: until then deliveries signed with either
    secret are accepted, afterwards only the new one.
    """
    services = _services()
    try:
        with services.db.session() as session:
            installation = session.scalar(
                select(Installation).where(Installation.public_id == installation_id))
            if installation is None:
                raise click.ClickException(f"no installation {installation_id!r}")
            secret = rotate_webhook_secret(session, services.keyring, installation, grace_hours)
            until = installation.previous_secret_valid_until
            result = {"installation_id": installation.public_id, "webhook_secret": secret,
                      "previous_secret_valid_until": until.isoformat() if until else None}
    except InstallError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        services.close()
    click.echo(json.dumps(result))
