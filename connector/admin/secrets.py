"""Admin pages: rotating an installation's webhook secret, with a grace period for the old one."""

from __future__ import annotations

import logging

from flask import abort, make_response, render_template, request
from sqlalchemy import select

from connector.admin import admin_required, bp, current_organization_id, services
from connector.admin.people import local_time
from connector.installations import (
    MAX_GRACE_HOURS,
    InstallError,
    rotate_webhook_secret,
    webhook_url,
)
from connector.models import Installation

log = logging.getLogger("connector.admin")
DEFAULT_GRACE_HOURS = 24


@bp.get("/installations/<public_id>/rotate-secret")
@admin_required
def rotate_secret_form(public_id: str):
    """What rotating does, and the grace period to give the old secret."""
    with services().db.session() as session:
        installation = _installation(session, public_id)
        return _confirm_page(installation, DEFAULT_GRACE_HOURS, None, 200)


@bp.post("/installations/<public_id>/rotate-secret")
@admin_required
def rotate_secret(public_id: str):
    """Make a new secret and show it once; the old one verifies until the grace ends."""
    connector = services()
    with connector.db.session() as session:
        installation = _installation(session, public_id)
        grace = _grace_hours(request.form.get("grace_hours", ""))
        if grace is None:
            return _confirm_page(installation, request.form.get("grace_hours", "")[:10],
                                 f"Enter a whole number of hours from 0 to {MAX_GRACE_HOURS}.",
                                 400)
        try:
            secret = rotate_webhook_secret(session, connector.keyring, installation, grace)
        except InstallError as exc:
            return _confirm_page(installation, grace, str(exc), 400)
        page = render_template(
            "admin/secret_rotated.html", installation=installation, secret=secret,
            grace_hours=grace, valid_until=installation.previous_secret_valid_until,
            valid_until_local=_local(installation), url=webhook_url(
                connector.settings.public_base_url, installation))
        ats = installation.ats
    if connector.receivers is not None:
        connector.receivers.forget(ats, public_id)  # this process at once; others within the TTL
    log.info("admin.webhook-secret-rotated installation=%s grace_hours=%s", public_id, grace)
    response = make_response(page, 200)
    response.headers["Cache-Control"] = "no-store"  # the secret is on this page, and only here
    return response


def _installation(session, public_id: str) -> Installation:
    """One of the signed-in admin's organization's installations, else 404."""
    installation = session.scalar(select(Installation).where(
        Installation.public_id == public_id,
        Installation.organization_id == current_organization_id()))
    if installation is None:
        abort(404)
    return installation


def _grace_hours(value: str) -> int | None:
    value = value.strip()
    if not value.isdigit() or len(value) > 4 or int(value) > MAX_GRACE_HOURS:
        return None
    return int(value)


def _confirm_page(installation: Installation, grace, error: str | None, status: int):
    html = render_template("admin/secret_confirm.html", installation=installation, grace=grace,
                           error=error, max_grace=MAX_GRACE_HOURS)
    return make_response(html, status)


def _local(installation: Installation) -> str:
    """The grace end in the organization's time zone, for people to read."""
    zone = installation.organization.timezone or "UTC"
    return f"{local_time(installation.previous_secret_valid_until, zone)} ({zone})"
