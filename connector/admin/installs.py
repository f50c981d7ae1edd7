"""Admin pages: the organization's installations, connecting an ATS, and each one's settings."""

from __future__ import annotations

import logging

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from adapters import ADAPTERS, get_adapter
from adapters.contract import Connection
from adapters.events import RECOMMENDATION_WORDS
from adapters.http import ApiError, HostNotAllowed, Temporary, Unauthorized
from adapters.manifest import Manifest
from connector.admin import admin_required, bp, current_organization_id, services
from connector.installations import (
    InstallError, adapter_for, base_url_problem, create_installation, webhook_url,
)
from connector.models import Installation, InterviewTemplate

log = logging.getLogger("connector.admin")

# The wizard's state lives in the database: the installation is created at the credentials step
# (after a live call to the ATS) with this option set until the admin finishes. Until then the
# webhook step shows the secret; afterwards only a rotation shows a new one.
SETUP_FLAG = "setup_in_progress"
RECOMMENDATIONS = tuple(reversed(RECOMMENDATION_WORDS.items()))  # strongest yes first


def own_installation(db, installation_id: int) -> Installation:
    """The signed-in admin's organization's installation, else 404."""
    installation = db.scalar(select(Installation).where(
        Installation.id == installation_id,
        Installation.organization_id == current_organization_id()))
    if installation is None:
        abort(404)
    return installation


def manifest_of(installation: Installation) -> Manifest:
    return get_adapter(installation.ats) or abort(404)


def installation_view(installation: Installation) -> dict:
    """What the pages show of an installation."""
    manifest = get_adapter(installation.ats)
    return {
        "id": installation.id, "public_id": installation.public_id, "name": installation.name,
        "ats": installation.ats,
        "ats_name": manifest.name if manifest else installation.ats,
        "status": installation.status.value, "reason": installation.attention_reason,
        "webhook_url": webhook_url(services().settings.public_base_url, installation),
        "in_setup": bool((installation.options or {}).get(SETUP_FLAG)),
        "stages": [rule.stage for rule in installation.stage_rules],
        "template_id": next((r.template_id for r in installation.stage_rules), None),
        "options": dict(installation.options or {}),
        "can_test": bool(manifest and manifest.can("test_event")),
    }


@bp.get("/installations")
@admin_required
def installations():
    """The organization's installations and a way to connect another ATS."""
    with services().db.session() as db:
        rows = db.scalars(select(Installation).where(
            Installation.organization_id == current_organization_id())
            .order_by(Installation.created_at, Installation.id)).all()
        items = [installation_view(row) for row in rows]
    return render_template("admin/install_list.html", items=items)


@bp.get("/installations/new")
@admin_required
def install_choose():
    """Step 1: the ATS, from the explicit registry."""
    return render_template("admin/install_choose.html", adapters=ADAPTERS)


@bp.route("/installations/new/<ats>", methods=["GET", "POST"])
@admin_required
def install_credentials(ats: str):
    """Step 2: credentials, checked for shape and then by a live call to the ATS."""
    manifest = get_adapter(ats) or abort(404)
    if request.method == "GET":
        return credentials_page(manifest, {"name": manifest.name}, [], 200)
    form, credentials, api_base_url, problems = checked_credentials(manifest, ("name",))
    if problems:
        return credentials_page(manifest, form, problems, 400)
    try:
        installation_id = _create(manifest, form["name"][:200], credentials, api_base_url)
    except InstallError as exc:
        return credentials_page(manifest, form, [str(exc)], 400)
    return redirect(url_for(".install_step", installation_id=installation_id, step="webhook"))


def checked_credentials(manifest: Manifest, extra: tuple[str, ...] = ()):
    """The posted form, its credentials and base URL, and what is wrong with them: their
    shape, the base URL's host, then a live call to the ATS when nothing else is."""
    form = {key: request.form.get(key, "").strip() for key in
            (*extra, "api_base_url", *manifest.credential_keys)}
    credentials = {k: form[k] for k in manifest.credential_keys if form[k]}
    api_base_url = form["api_base_url"] or None
    settings = services().settings
    problems = ["A name is required."] if "name" in form and not form["name"] else []
    problems += manifest.check_credentials(credentials)
    problem = api_base_url and base_url_problem(manifest, api_base_url, settings.production,
                                                settings.ats_allowed_hosts)
    if problem:
        problems.append(f"API base URL: {problem}.")
    if not problems:
        problems = live_check(manifest, credentials, api_base_url, settings)
    return form, credentials, api_base_url, problems


def credentials_page(manifest: Manifest, form: dict, problems: list[str], status: int,
                     updating: Installation | None = None):
    """The credentials form: a new installation's, or new credentials for `updating`."""
    settings = services().settings
    return render_template("admin/install_credentials.html", adapter=manifest, form=form,
                           fields=manifest.credentials, problems=problems,
                           operator_hosts=settings.ats_allowed_hosts,
                           strict_hosts=settings.production, updating=updating), status


def live_check(manifest: Manifest, credentials: dict, api_base_url: str | None,
                settings) -> list[str]:
    """One authenticated call to the ATS; what went wrong, in words, or nothing."""
    connection = Connection(webhook_secret="", credentials=credentials,
                            api_base_url=api_base_url, strict_hosts=settings.production,
                            extra_hosts=settings.ats_allowed_hosts)
    try:
        manifest.build(connection).check_connection()
    except ApiError as exc:
        log.info("admin.install.check-refused ats=%s error=%s status=%s", manifest.key,
                 type(exc).__name__, exc.status)
        return [api_problem(manifest.name, exc)]
    return []


def api_problem(ats_name: str, exc: ApiError) -> str:
    """An ATS API error as the admin should read it: what went wrong, never what was answered."""
    if isinstance(exc, HostNotAllowed):
        return f"{ats_name} cannot be called at that address: {exc.reason}."
    if isinstance(exc, Unauthorized) and exc.status == 403:
        return f"{ats_name} refused a call these credentials need (403): {exc.reason}."
    if isinstance(exc, Unauthorized):
        return f"{ats_name} refused these credentials ({exc.status or 401})."
    if isinstance(exc, Temporary) and exc.status is None:
        return f"Could not reach {ats_name} ({exc.reason}): check the addresses and the network."
    if isinstance(exc, Temporary):
        return f"{ats_name} answered {exc.status}: it may be busy or down; try again shortly."
    return f"{ats_name} refused the call ({exc.status}): {exc.reason}."


def _create(manifest, name: str, credentials: dict, api_base_url: str | None) -> int:
    svc = services()
    with svc.db.session() as db:
        installation, _secret = create_installation(
            db, svc.keyring, ats=manifest.key, organization=current_user.organization_name,
            name=name, trigger_stages=[], template_id=None, api_base_url=api_base_url,
            credentials=credentials, strict_hosts=svc.settings.production,
            extra_hosts=svc.settings.ats_allowed_hosts, require_stages=False)
        if installation.organization_id != current_organization_id():
            raise InstallError("the organization changed during sign-in")  # never another's
        installation.options = {SETUP_FLAG: True}
        db.flush()
        log.info("admin.install.created installation=%s ats=%s", installation.public_id,
                 manifest.key)
        return installation.id


@bp.get("/installations/<int:installation_id>")
@admin_required
def install_settings(installation_id: int):
    """An installation's settings: the same choices as the wizard, and its webhook URL."""
    with services().db.session() as db:
        installation = own_installation(db, installation_id)
        context = {"item": installation_view(installation), "templates": offered_templates(db),
                   "problems": [], "return_to": "settings", "token": request.args.get("token", ""),
                   **choice_context(installation)}
        return render_template("admin/install_settings.html", **context)


def choice_context(installation: Installation) -> dict:
    """The stages to pick from (each name once, with how many jobs have it) and the options."""
    choices, problem = _stage_choices(installation)
    counts: dict[str, int] = {}
    for _id, name in choices or []:
        counts[name] = counts.get(name, 0) + 1
    return {"choices": choices, "stage_problem": problem, "stage_names": list(counts.items()),
            "option_fields": manifest_of(installation).option_fields(),
            "can_move": manifest_of(installation).can("move"),
            "recommendations": RECOMMENDATIONS}


def _stage_choices(installation: Installation) -> tuple[list[tuple[str, str]] | None, str | None]:
    """The ATS's stages as (id, name), or None and why they could not be listed."""
    adapter = adapter_for(installation, services().keyring, services().settings)
    try:
        stages = adapter.list_stages()
    except ApiError as exc:
        return None, api_problem(adapter.name, exc)
    if stages is None:
        return None, None
    return stages, None


def offered_templates(db) -> list[InterviewTemplate]:
    return list(db.scalars(select(InterviewTemplate).where(or_(
        InterviewTemplate.organization_id == current_organization_id(),
        InterviewTemplate.is_builtin)).order_by(InterviewTemplate.is_builtin.desc(),
                                                InterviewTemplate.name)))
