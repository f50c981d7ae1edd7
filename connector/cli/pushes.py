"""`connector pushes`: the ATS outbox, listed, and a stopped push started again."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from connector.cli.environment import command_services
from connector.models import Installation, OutboxStatus, Push
from connector.outbox.retries import NoSuchRow, Refused, retry_push
# At module level on purpose: `connector worker` loads the push job and its rate limiter once,
# at start, instead of in the middle of its first push (~80 ms).
from jobs.pushes import JOB


def _services():
    # Without Redis the push goes out before the command returns.
    return command_services(synchronous_jobs=True)


@click.group()
def pushes() -> None:
    """Notes and other writes to the ATS (the outbox)."""


@pushes.command("list")
@click.option("--failed", is_flag=True, help="Only pushes that stopped for good.")
@click.option("--installation", "installation_id", help="An installation id (inst_...).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def pushes_list(failed: bool, installation_id: str | None, as_json: bool) -> None:
    """List pushes, newest first."""
    services = _services()
    with services.db.session() as session:
        query = (select(Push, Installation.public_id).join(Installation)
                 .order_by(Push.id.desc()))
        if failed:
            query = query.where(Push.status == OutboxStatus.FAILED)
        if installation_id:
            query = query.where(Installation.public_id == installation_id)
        rows = [_row(push, public_id) for push, public_id in session.execute(query)]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        error = (row["last_error"] or "")[:60]
        click.echo(f"{row['id']:>6}  {row['status']:<9}  {row['attempts']:>2}  "
                   f"{row['installation']}  {row['kind']:<12}  {error}")


@pushes.command("retry")
@click.argument("push_id", metavar="ID", type=int)
def pushes_retry(push_id: int) -> None:
    """Send a failed or held push again now; its attempts and last error are kept."""
    services = _services()
    try:
        with services.db.session() as session:
            retry_push(session, push_id)
    except (NoSuchRow, Refused) as exc:
        raise click.ClickException(str(exc)) from exc
    services.queue.enqueue(JOB, push_id)
    with services.db.session() as session:
        push = session.get(Push, push_id)
        installation = session.get(Installation, push.installation_id)
        result = _row(push, installation.public_id)
        result["installation_status"] = installation.status.value
    click.echo(json.dumps(result))


def _row(push: Push, installation: str) -> dict:
    return {
        "id": push.id,
        "installation": installation,
        "kind": push.kind,
        "status": push.status.value,
        "attempts": push.attempts,
        "last_error": push.last_error,
        "next_attempt_at": push.next_attempt_at.isoformat() if push.next_attempt_at else None,
        "created_at": push.created_at.isoformat(),
    }
