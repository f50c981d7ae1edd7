"""`connector sandbox seed`: the built-in sandbox ATS, set up once (again is harmless)."""

from __future__ import annotations

import click

from connector.cli.environment import command_services
from connector.services import Services


@click.group()
def sandbox() -> None:
    """The built-in sandbox ATS (development only)."""


@sandbox.command("seed")
def sandbox_seed() -> None:
    """Create the Sandbox organization, its installation, example cards and an admin."""
    services = command_services()
    if not services.settings.sandbox:
        raise click.ClickException("the sandbox is off (SANDBOX=off, or CONNECTOR_ENV=production)")
    for line in seed_and_describe(services):
        click.echo(line)


def seed_and_describe(services: Services) -> list[str]:
    """Seed in one transaction; the console lines that say where to go and how to sign in."""
    from connector.sandbox.seed import describe, seed

    base_url = services.settings.public_base_url
    with services.db.session() as session:
        seeded = seed(session, services.keyring, base_url)
    return describe(seeded, base_url)
