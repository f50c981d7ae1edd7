"""`connector users create`, `connector organizations list`, and a session's reviewers:
`connector sessions share|unshare` (view-only links) and `invite-reviewer|uninvite-reviewer`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import select

from connector import accounts, organizations, tasks
from connector.cli.environment import command_services
from connector.models import Interview, Organization, Role
from connector.review import invitations


def register_commands(main: click.Group, sessions: click.Group) -> None:
    """Add these commands to the `connector` command and its `sessions` group."""
    main.add_command(users)
    main.add_command(organizations_group)
    for command in (share, unshare, invite_reviewer, uninvite_reviewer):
        sessions.add_command(command)


@click.group()
def users() -> None:
    """Reviewer and admin accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 12 characters and hard to guess (a few uncommon words work "
                   "well); asked for when left out (keeps it out of the shell history).")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.REVIEWER.value,
              show_default=True)
@click.option("--organization", required=True,
              help="An organization's id (org_...), or a name: an organization that has it and "
                   "was never renamed, else a new organization (refused when it is ambiguous).")
@click.option("--name", default="", help="Shown on scorecards.")
def users_create(email: str, password: str, role: str, organization: str, name: str) -> None:
    """Create a user who signs in at /login; prints the user, never the password."""
    services = command_services()
    with _refusals(), services.db.session() as session:
        org = organizations.find_or_create(session, organization)
        user = accounts.create_user(session, org.name, email, password, role, name)
        result = {"id": user.id, "email": user.email, "role": user.role.value,
                  "organization": org.name, "organization_id": org.public_id}
    click.echo(json.dumps(result))


@click.group("organizations")
def organizations_group() -> None:
    """Organizations and their ids, which never change."""


@organizations_group.command("list")
def organizations_list() -> None:
    """Print every organization as JSON: id, name, and when it was last renamed."""
    services = command_services()
    with services.db.session() as session:
        rows = [organizations.describe(o)
                for o in session.scalars(select(Organization).order_by(Organization.id))]
    click.echo(json.dumps(rows))


@click.command("share")
@click.argument("session_id", metavar="ID")
@click.option("--can-score", is_flag=True, hidden=True)  # refused, with the way to score
@click.option("--days", type=click.IntRange(1, accounts.MAX_SHARE_DAYS), default=14,
              show_default=True, help="How long the link works.")
def share(session_id: str, can_score: bool, days: int) -> None:
    """Print a view-only link to the session's answers and scores, for anyone who has it."""
    services = command_services()
    with _refusals(), services.db.session() as session:
        link, token = accounts.create_share_link(session, services.keyring,
                                                 _interview(session, session_id),
                                                 can_score=can_score, days=days)
        result = {"id": link.public_id,
                  "url": accounts.share_link_url(services.settings.public_base_url, token),
                  "expires_at": link.expires_at.isoformat()}
    click.echo(json.dumps(result))


@click.command("unshare")
@click.argument("link_id", metavar="LINK_ID")
def unshare(link_id: str) -> None:
    """Stop a share link (its id, share_...) from working."""
    services = command_services()
    with _refusals(), services.db.session() as session:
        link = accounts.revoke_share_link(session, link_id)
        result = {"id": link.public_id, "revoked_at": link.revoked_at.isoformat()}
    click.echo(json.dumps(result))


@click.command("invite-reviewer")
@click.argument("session_id", metavar="ID")
@click.option("--email", required=True, help="Where the personal link is e-mailed.")
@click.option("--name", required=True, help="Shown on their scorecard.")
@click.option("--days", type=click.IntRange(1, invitations.MAX_DAYS),
              default=invitations.DEFAULT_DAYS, show_default=True, help="How long the link works.")
def invite_reviewer(session_id: str, email: str, name: str, days: int) -> None:
    """E-mail a personal link to score the session as this person; again: a new link."""
    services = command_services(synchronous_jobs=True)
    with _refusals(), services.db.session() as session:
        invitation, message = invitations.invite(
            session, services.keyring, _interview(session, session_id), email, name,
            services.settings.public_base_url, days=days)
        result, email_id = invitations.describe(invitation), message.id
    services.queue.enqueue(tasks.SEND_EMAIL, email_id)
    click.echo(json.dumps(result))


@click.command("uninvite-reviewer")
@click.argument("invitation_id", metavar="INVITATION_ID")
def uninvite_reviewer(invitation_id: str) -> None:
    """Stop a reviewer invitation's link (rinv_...); a scorecard already submitted stays."""
    services = command_services()
    with _refusals(), services.db.session() as session:
        result = invitations.describe(invitations.revoke(session, invitation_id))
    click.echo(json.dumps(result))


def _interview(session, public_id: str) -> Interview:
    interview = session.scalar(select(Interview)
                               .where(Interview.public_id == public_id))
    if interview is None:
        raise accounts.AccessError(f"no interview session {public_id!r}")
    return interview


@contextmanager
def _refusals() -> Iterator[None]:
    """A refused request exits with status 1 and its reason; the transaction rolls back."""
    try:
        yield
    except (accounts.AccessError, organizations.OrganizationError) as exc:
        raise click.ClickException(str(exc)) from exc
