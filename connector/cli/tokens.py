"""`connector tokens create|list|revoke`: bearer tokens for the JSON API."""

from __future__ import annotations

import json

import click

from connector.api import tokens as api_tokens
from connector.cli.environment import command_services

ORGANIZATION_HELP = ("An existing organization's id (org_...), or its name if no other "
                     "organization has it and it was never changed.")


@click.group()
def tokens() -> None:
    """Bearer tokens for /api/v1."""


@tokens.command("create")
@click.option("--organization", required=True, help=ORGANIZATION_HELP)
@click.option("--name", default="", help="A label to recognise the token by.")
def tokens_create(organization: str, name: str) -> None:
    """Make a token; it is printed once and only its SHA-256 is kept."""
    services = command_services()
    try:
        with services.db.session() as session:
            row, token = api_tokens.create_token(session, organization, name)
            result = api_tokens.describe(row) | {"token": token}
    except api_tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result))


@tokens.command("list")
@click.option("--organization", required=True, help=ORGANIZATION_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def tokens_list(organization: str, as_json: bool) -> None:
    """List an organization's tokens (their prefixes, never the tokens)."""
    services = command_services()
    try:
        with services.db.session() as session:
            rows = [api_tokens.describe(r) for r in api_tokens.list_tokens(session, organization)]
    except api_tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = "revoked" if row["revoked_at"] else "active"
        click.echo(f"{row['id']:>5}  {row['prefix']}…  {state:<7}  "
                   f"last used {row['last_used_at'] or 'never'}  {row['name']}")


@tokens.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
def tokens_revoke(token_id: int) -> None:
    """Stop a token from working, at once."""
    services = command_services()
    try:
        with services.db.session() as session:
            result = api_tokens.describe(api_tokens.revoke_token(session, token_id))
    except api_tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result))
