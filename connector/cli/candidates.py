"""`connector candidates erase`: erase a person on request, printing the receipt."""

from __future__ import annotations

import getpass
import json

import click
from sqlalchemy import select

from connector import organizations
from connector.cli.environment import command_services
from connector.models import Actor, Email, ErasureReason, Installation, Interview, Organization
from connector.privacy import requests
from connector.privacy.erasure import Person, Who, erase


@click.group()
def candidates() -> None:
    """Candidates: erase one on request."""


@candidates.command("erase")
@click.option("--email", help="The candidate's e-mail address.")
@click.option("--organization", help="An organization's id (org_...) or name; without it, "
                                     "every organization that holds the address.")
@click.option("--ats-candidate-id", help="The ATS's candidate id (with --installation).")
@click.option("--installation", help="An installation id (inst_...).")
def candidates_erase(email: str | None, organization: str | None,
                     ats_candidate_id: str | None, installation: str | None) -> None:
    """Erase a candidate everywhere; prints one receipt (JSON) per organization."""
    if bool(email) == bool(ats_candidate_id):
        raise click.UsageError("give either --email or --ats-candidate-id")
    if ats_candidate_id and not installation:
        raise click.UsageError("--ats-candidate-id needs --installation")
    services = command_services(synchronous_jobs=True)
    try:
        with services.db.session() as session:
            people = (_by_email(session, email, organization) if email else
                      [_by_candidate(session, ats_candidate_id, installation)])
    except (requests.Refused, requests.NotFound, organizations.OrganizationError) as exc:
        raise click.ClickException(str(exc)) from exc
    who = Who(ErasureReason.OPERATOR, Actor.OPERATOR, actor_id=getpass.getuser())
    for person in people:
        receipt = erase(services.db, services.storage, person, who)
        click.echo(json.dumps(requests.describe(receipt)))


def _by_email(session, email: str, organization: str | None) -> list[Person]:
    if organization:
        return [requests.by_email(organizations.find(session, organization).id, email)]
    person = requests.by_email(0, email)  # checks the address before any search
    address = next(iter(person.emails))
    holding = set(session.scalars(select(Installation.organization_id).join(Interview).where(
        Interview.candidate_email.in_({address, address.lower()}))))
    holding |= set(session.scalars(select(Email.organization_id).where(
        Email.to_address.in_({address, address.lower()}))))
    if not holding and session.scalar(select(Organization.id).limit(2).offset(1)) is None:
        holding = set(session.scalars(select(Organization.id)))  # one organization: its receipt
    if not holding:
        raise requests.NotFound("no organization holds this address; name one with "
                                "--organization to record a receipt all the same")
    return [requests.by_email(org, address) for org in sorted(holding)]


def _by_candidate(session, candidate_id: str, installation: str) -> Person:
    organization_id = session.scalar(select(Installation.organization_id).where(
        Installation.public_id == installation.strip()))
    if organization_id is None:
        raise requests.NotFound(f"no installation {installation.strip()!r}")
    return requests.by_ats_candidate(session, organization_id, installation, candidate_id)
