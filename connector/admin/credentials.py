"""Admin page: new API credentials for an installation, checked live before they replace the old."""

from __future__ import annotations

import logging

from flask import flash, redirect, request, url_for

from connector.admin import admin_required, bp, services
from connector.admin.installs import (
    checked_credentials, credentials_page, manifest_of, own_installation,
)
from connector.models import InstallationStatus

log = logging.getLogger("connector.admin")


@bp.route("/installations/<int:installation_id>/credentials", methods=["GET", "POST"])
@admin_required
def install_update_credentials(installation_id: int):
    """Replace the API credentials (and base URL); a stale "needs attention" ends with them."""
    svc = services()
    with svc.db.session() as db:
        installation = own_installation(db, installation_id)
        manifest = manifest_of(installation)
        if request.method == "GET":
            form = {"api_base_url": installation.api_base_url or ""}
            return credentials_page(manifest, form, [], 200, installation)
        form, credentials, api_base_url, problems = checked_credentials(manifest)
        if problems:
            return credentials_page(manifest, form, problems, 400, installation)
        installation.credentials_encrypted = svc.keyring.encrypt_json(credentials)
        installation.api_base_url = api_base_url
        if installation.status is InstallationStatus.NEEDS_ATTENTION:
            installation.status, installation.attention_reason = InstallationStatus.ACTIVE, None
        log.info("admin.install.credentials-replaced installation=%s", installation.public_id)
    flash("The new credentials work and are saved; failed notes can be retried from "
          "Operations.", "ok")
    return redirect(url_for(".install_settings", installation_id=installation_id))

