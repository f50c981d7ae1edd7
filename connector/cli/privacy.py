"""`connector privacy report`: the records of processing, as a table or as JSON."""

from __future__ import annotations

import json

import click

from connector import organizations
from connector.cli.environment import command_services
from connector.privacy import records


@click.group()
def privacy() -> None:
    """What personal data is held, where, and for how long."""


@privacy.command("report")
@click.option("--organization", help="One organization's id (org_...), or a name that only it "
                                      "has and that was never changed; default: every one.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def privacy_report(organization: str | None, as_json: bool) -> None:
    """Per installation: each category of personal data, where it is, how long it is kept,
    and how much is held now."""
    services = command_services()
    storage = records.describe_storage(services.settings.recordings,
                                       services.settings.s3.get("endpoint_url"))
    try:
        with services.db.session() as session:
            org = organizations.find(session, organization).id if organization else None
            found = records.report(session, storage, org)
    except organizations.OrganizationError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([record.as_dict() for record in found], ensure_ascii=False))
        return
    for record in found:
        click.echo("\n".join(_text(record)) + "\n")


def _text(record: records.Record) -> list[str]:
    lines = [f"{record.organization} ({record.organization_id})",
             f"  retention: {record.retention_days} days {records.SETTLED}"]
    lines += [f"    template “{name}”: {days} days"
              for name, days in record.template_retention.items()]
    lines += [f"  erasure on a candidate's request: within {record.erasure_wait_days} days",
              f"  access log kept: {record.access_log_days} days",
              f"  privacy contact: {record.privacy_contact or 'not set'}"]
    for installation in record.installations:
        lines += ["", f"  {installation.name} ({installation.ats_name}, {installation.id})"]
        lines += _table(installation.categories)
    lines += ["", "  Organization-wide"] + _table(record.organization_wide)
    return lines


def _table(categories: list[records.Category]) -> list[str]:
    """One block per category: its name and counts, then where and how long."""
    lines = []
    for category in categories:
        lines.append(f"    {category.name:<34} {records.held_in_words(category)}")
        lines += [f"      where: {place}" for place in category.where]
        lines.append(f"      kept:  {category.kept}")
    return lines
