"""Admin pages: the organization's installations, connecting an ATS, and each one's settings."""

from __future__ import annotations

import logging

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from adapters import ADAPTERS, get_adapter
from adapters.base import RECOMMENDATION_WORDS, Adapter, Connection
from adapters.http import ApiError, HostNotAllowed, Temporary, Unauthorized, check_base_url
from connector.admin import admin_required, bp, current_organization_id, services
from connector.installations import InstallError, adapter_for, create_installation, webhook_url
from connector.models import Installation, InterviewTemplate
from jobs.test_events import sample_event

log = logging.getLogger("connector.admin")

# The wizard's state lives in the database: the installation is created at the credentials step
# (after a live call to the ATS) with this option set until the admin finishes. Until then the
# webhook step shows the secret; afterwards only a rotation shows a new one.
SETUP_FLAG = "setup_in_progress"
RECOMMENDATIONS = tuple(reversed(RECOMMENDATION_WORDS.items()))  # strongest yes first
LABELS = {
    "api_key": "Harvest API key (legacy, instead of a client id and secret)",
    "client_id": "Client ID", "client_secret": "Client secret",
    "user_id": "User ID that notes are written as",
    "token_url": "Token URL (only for a regional data centre)",
}


def own_installation(db, installation_id: int) -> Installation:
    """The signed-in admin's organization's installation, else 404."""
    installation = db.scalar(select(Installation).where(
        Installation.id == installation_id,
        Installation.organization_id == current_organization_id()))
    if installation is None:
        abort(404)
    return installation


def adapter_class(installation: Installation) -> type[Adapter]:
    return get_adapter(installation.ats) or abort(404)


def installation_view(installation: Installation) -> dict:
    """What the pages show of an installation."""
    adapter_cls = get_adapter(installation.ats)
    return {
        "id": installation.id, "public_id": installation.public_id, "name": installation.name,
        "ats": installation.ats,
        "ats_name": adapter_cls.name if adapter_cls else installation.ats,
        "status": installation.status.value, "reason": installation.attention_reason,
        "webhook_url": webhook_url(services().settings.public_base_url, installation),
        "in_setup": bool((installation.options or {}).get(SETUP_FLAG)),
        "stages": [rule.stage for rule in installation.stage_rules],
        "template_id": next((r.template_id for r in installation.stage_rules), None),
        "options": dict(installation.options or {}),
        "can_test": sample_event(installation.ats, "x") is not None,
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
    adapter_cls = get_adapter(ats) or abort(404)
    if request.method == "GET":
        return _credentials_page(adapter_cls, {"name": adapter_cls.name}, [], 200)
    form = {key: request.form.get(key, "").strip() for key in
            ("name", "api_base_url", *adapter_cls.credential_keys)}
    credentials = {k: form[k] for k in adapter_cls.credential_keys if form[k]}
    api_base_url = form["api_base_url"] or None
    strict = services().settings.production
    problems = [] if form["name"] else ["A name is required."]
    problems += adapter_cls.check_credentials(credentials)
    if api_base_url:
        try:
            check_base_url(api_base_url, adapter_cls.allowed_hosts, strict)
        except HostNotAllowed as exc:
            problems.append(f"API base URL: {exc}")
    if not problems:
        problems = _live_check(adapter_cls, credentials, api_base_url, strict)
    if problems:
        return _credentials_page(adapter_cls, form, problems, 400)
    try:
        installation_id = _create(adapter_cls, form["name"][:200], credentials, api_base_url)
    except InstallError as exc:
        return _credentials_page(adapter_cls, form, [str(exc)], 400)
    return redirect(url_for(".install_step", installation_id=installation_id, step="webhook"))


def _credentials_page(adapter_cls, form: dict, problems: list[str], status: int):
    fields = [{"key": key, "label": LABELS.get(key, key.replace("_", " ").capitalize()),
               "secret": key.endswith(("secret", "key", "password"))}
              for key in adapter_cls.credential_keys]
    return render_template("admin/install_credentials.html", adapter=adapter_cls, form=form,
                           fields=fields, problems=problems), status


def _live_check(adapter_cls, credentials: dict, api_base_url: str | None,
                strict: bool) -> list[str]:
    """One authenticated call to the ATS; what went wrong, in words, or nothing."""
    connection = Connection(webhook_secret="", credentials=credentials,
                            api_base_url=api_base_url, strict_hosts=strict)
    try:
        adapter_cls(connection).check_connection()
    except ApiError as exc:
        log.info("admin.install.check-refused ats=%s error=%s status=%s", adapter_cls.key,
                 type(exc).__name__, exc.status)
        return [api_problem(adapter_cls.name, exc)]
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


def _create(adapter_cls, name: str, credentials: dict, api_base_url: str | None) -> int:
    svc = services()
    with svc.db.session() as db:
        installation, _secret = create_installation(
            db, svc.keyring, ats=adapter_cls.key, organization=current_user.organization_name,
            name=name, trigger_stages=[], template_id=None, api_base_url=api_base_url,
            credentials=credentials, strict_hosts=svc.settings.production, require_stages=False)
        if installation.organization_id != current_organization_id():
            raise InstallError("the organization changed during sign-in")  # never another's
        installation.options = {SETUP_FLAG: True}
        db.flush()
        log.info("admin.install.created installation=%s ats=%s", installation.public_id,
                 adapter_cls.key)
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
            "visibilities": getattr(adapter_class(installation), "note_visibilities", ()),
            "recommendations": RECOMMENDATIONS}


def _stage_choices(installation: Installation) -> tuple[list[tuple[str, str]] | None, str | None]:
    """The ATS's stages as (id, name), or None and why they could not be listed."""
    adapter = adapter_for(installation, services().keyring, services().settings.production)
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
