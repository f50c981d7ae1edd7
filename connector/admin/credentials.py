"""Admin page: new API credentials for an installation, checked live before they replace the old."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for

from connector.admin import admin_required, bp, services
from connector.admin.installs import live_check, manifest_of, own_installation
from connector.installations import base_url_problem
from connector.models import Installation, InstallationStatus

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
            return _page(installation, form, [], 200)
        form = {key: request.form.get(key, "").strip()
                for key in ("api_base_url", *manifest.credential_keys)}
        credentials = {k: form[k] for k in manifest.credential_keys if form[k]}
        api_base_url = form["api_base_url"] or None
        problems = manifest.check_credentials(credentials)
        problem = api_base_url and base_url_problem(
            manifest, api_base_url, svc.settings.production, svc.settings.ats_allowed_hosts)
        if problem:
            problems.append(f"API base URL: {problem}.")
        if not problems:
            problems = live_check(manifest, credentials, api_base_url, svc.settings)
        if problems:
            return _page(installation, form, problems, 400)
        installation.credentials_encrypted = svc.keyring.encrypt_json(credentials)
        installation.api_base_url = api_base_url
        if installation.status is InstallationStatus.NEEDS_ATTENTION:
            installation.status, installation.attention_reason = InstallationStatus.ACTIVE, None
        log.info("admin.install.credentials-replaced installation=%s", installation.public_id)
    flash("The new credentials work and are saved; failed notes can be retried from "
          "Operations.", "ok")
    return redirect(url_for(".install_settings", installation_id=installation_id))


def _page(installation: Installation, form: dict, problems: list[str], status: int):
    settings = services().settings
    return render_template(
        "admin/install_credentials.html", adapter=manifest_of(installation), form=form,
        fields=manifest_of(installation).credentials, problems=problems,
        operator_hosts=settings.ats_allowed_hosts, strict_hosts=settings.production,
        updating=installation), status
