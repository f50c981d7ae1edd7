"""`connector install` connects an ATS account; `connector installations` rotates its secret."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from connector import organizations
from connector.cli.environment import command_services
from connector.installations import (
    InstallError,
    create_installation,
    rotate_webhook_secret,
    webhook_url,
)
from connector.models import Installation


@click.command("install")
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
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="One of the ATS's own options (e.g. note_visibility=private), as its "
                   "manifest names them; repeat for several.")
def install_command(ats, organization, name, trigger_stages, template_id, api_base_url,
                    credentials, options) -> None:
    """Connect an ATS account; prints the webhook URL and secret to paste into the ATS."""
    services = command_services()
    try:
        with services.db.session() as session:
            org = organizations.find_or_create(session, organization)
            installation, secret = create_installation(
                session, services.keyring, ats=ats, organization=org.name, name=name,
                trigger_stages=list(trigger_stages), template_id=template_id,
                api_base_url=api_base_url, credentials=_pairs(credentials),
                strict_hosts=services.settings.production,
                extra_hosts=services.settings.ats_allowed_hosts, options=_pairs(options))
            result = {
                "installation_id": installation.public_id,
                "webhook_url": webhook_url(services.settings.public_base_url, installation),
                "webhook_secret": secret,
                "organization_id": org.public_id,
            }
    except (InstallError, organizations.OrganizationError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result))


@click.group()
def installations() -> None:
    """Installations (an ATS account connected to an organization)."""


@installations.command("rotate-secret")
@click.argument("installation_id", metavar="ID")
@click.option("--grace-hours", type=click.IntRange(0, 24 * 7), default=24, show_default=True,
              help="Hours the current secret still verifies deliveries.")
def rotate_secret(installation_id: str, grace_hours: int) -> None:
    """Give installation ID (inst_...) a new webhook secret; prints it, once.

    Paste it into the ATS before the grace ends: until then deliveries signed with either
    secret are accepted, afterwards only the new one.
    """
    services = command_services()
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


def _pairs(items: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item.split('=')[0]!r}",
                                     param_hint="--credential")
        pairs[key.strip()] = value
    return pairs
