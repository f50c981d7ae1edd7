"""/api/v1/installations: the organization's ATS installations, and what goes back to the ATS.

Secrets and credentials never leave: not the webhook secret, not the ATS credentials.
"""

from __future__ import annotations

from marshmallow import ValidationError
from sqlalchemy import select

from adapters import get_adapter
from connector.api import schemas
from connector.api.errors import not_found
from connector.api.routing import operation, organization_id, page_of, services
from connector.installations import webhook_url
from connector.models import Installation

TAG = "installations"


def find_installation(db, public_id: str) -> Installation:
    """The organization's installation by its public id; 404 for anyone else's."""
    installation = db.scalar(select(Installation).where(
        Installation.public_id == public_id, Installation.organization_id == organization_id()))
    if installation is None:
        raise not_found("installation")
    return installation


def describe(installation: Installation) -> dict:
    return {
        "id": installation.public_id,
        "name": installation.name,
        "ats": installation.ats,
        "status": installation.status.value,
        "attention_reason": installation.attention_reason,
        "webhook_url": webhook_url(services().settings.public_base_url, installation),
        "trigger_stages": [{"stage": r.stage, "template_id": r.template_id}
                           for r in installation.stage_rules],
        "options": shown_options(installation),
        "created_at": installation.created_at,
    }


def shown_options(installation: Installation) -> dict:
    """The connector's options and the ATS's own, without what the wizard keeps for itself."""
    manifest = get_adapter(installation.ats)
    known = set(schemas.InstallationOptions().fields) | set(
        manifest.options().fields if manifest else ())
    return {k: v for k, v in (installation.options or {}).items() if k in known}


@operation("GET", "/installations", tag=TAG, query=schemas.PageQuery(),
           response=schemas.InstallationPage())
def list_installations(query):
    """List the organization's installations, newest first."""
    with services().db.session() as db:
        rows = select(Installation).where(Installation.organization_id == organization_id())
        found = page_of(db, rows, Installation.id, query)
        return {**found, "data": [describe(i) for i in found["data"]]}


@operation("GET", "/installations/<public_id>", tag=TAG, response=schemas.Installation())
def get_installation(public_id):
    """One installation: status, ATS, webhook URL, trigger stages and options."""
    with services().db.session() as db:
        return describe(find_installation(db, public_id))


@operation("PATCH", "/installations/<public_id>/options", tag=TAG,
           body=schemas.InstallationOptions(), response=schemas.Installation())
def update_options(public_id, body):
    """Change what goes back to the ATS; a field set to null returns to its default.

    Fields left out keep their value.
    """
    with services().db.session() as db:
        installation = find_installation(db, public_id)
        _check_ats_options(installation, body)
        options = dict(installation.options or {})
        for key, value in body.items():
            if value is None:
                options.pop(key, None)
            else:
                options[key] = value
        installation.options = options  # a new dict, so SQLAlchemy sees the JSON change
        if services().receivers is not None:
            services().receivers.forget(installation.ats, installation.public_id)
        db.flush()
        return describe(installation)


def _check_ats_options(installation: Installation, body: dict) -> None:
    """The keys the core does not know, checked by the installation's ATS; 422 otherwise."""
    core = schemas.InstallationOptions().fields
    given = {key: value for key, value in body.items() if key not in core}
    if not given:
        return
    manifest = get_adapter(installation.ats)
    unknown = [key for key in given if key not in manifest.options().fields]
    if unknown:
        raise ValidationError({key: [f"not an option of {manifest.name}"] for key in unknown})
    manifest.load_options(given)  # null returns an option to its default: allowed
