"""`connector keys rotate`: re-encrypt every secret under the first of SECRET_KEYS."""

from __future__ import annotations

import json

import click

from connector.cli.environment import command_services
from connector.keys import drop_cached_tokens, rotate_database


@click.group()
def keys() -> None:
    """The keys that encrypt secrets at rest."""


@keys.command("rotate")
@click.option("--dry-run", is_flag=True, help="Count what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def keys_rotate(dry_run: bool, as_json: bool) -> None:
    """Re-encrypt every stored secret under the first key of SECRET_KEYS.

    Put the new key first ("NEW,OLD"), deploy that everywhere, run this, and drop OLD once it
    reports nothing unreadable. Safe to run twice, and while the service runs.
    """
    services = command_services()
    try:
        counts = rotate_database(services.db, services.keyring, dry_run=dry_run)
        tokens = drop_cached_tokens(services.settings.redis_url, dry_run=dry_run)
    finally:
        services.close()
    unreadable = sum(c.unreadable for c in counts)
    if as_json:
        click.echo(json.dumps({"dry_run": dry_run, "tables": [c.as_dict() for c in counts],
                               "cached_tokens_dropped": tokens}))
    else:
        _print(counts, tokens, dry_run)
    if unreadable:
        raise click.ClickException(
            f"{unreadable} values open with no key in SECRET_KEYS; keep every old key until "
            "they are dealt with")


def _print(counts, tokens: int | None, dry_run: bool) -> None:
    verb = "to rotate" if dry_run else "rotated"
    for c in counts:
        click.echo(f"{c.table:<20} rows {c.rows:>6}  {verb} {c.rotated:>6}  "
                   f"current {c.current:>6}  unreadable {c.unreadable}  "
                   f"changed meanwhile {c.changed}")
    if tokens is None:
        click.echo("ATS tokens           cached in each process's memory only; nothing to drop")
    else:
        click.echo(f"ATS tokens           {'to drop' if dry_run else 'dropped'} {tokens} "
                   "(fetched again when next needed)")
    if dry_run:
        click.echo("dry run: nothing was written")
    elif any(c.changed for c in counts):
        click.echo("some rows changed while this ran: run it again to check them")
