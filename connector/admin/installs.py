"""Admin pages: the organization's installations, the install wizard, and each one's settings.

Wizard state lives in the database: the installation is created at the credentials step (after
a live call to the ATS), with `options["setup_in_progress"]` set until the admin finishes. Until
then the webhook step shows the secret; afterwards only a rotation shows a new one.
"""

from __future__ import annotations

import inspect
import logging
import re
import secrets
from pathlib import Path

from flask import (
    abort, flash, jsonify, redirect, render_template, render_template_string, request, url_for,
)
from flask_login import current_user
from sqlalchemy import or_, select

from adapters import ADAPTERS, get_adapter
from adapters.base import Adapter, Connection
from adapters.http import ApiError, HostNotAllowed, Temporary, Unauthorized, check_base_url
from connector.admin import admin_required, bp, current_organization_id, services
from connector.installations import InstallError, adapter_for, create_installation, webhook_url
from connector.models import Installation, InterviewTemplate, StageRule, WebhookDelivery
from jobs.test_events import sample_event

log = logging.getLogger("connector.admin")

SETUP_FLAG = "setup_in_progress"
STEPS = (("webhook", "Webhook"), ("stages", "Trigger stages"), ("template", "Interview template"),
         ("results", "What goes back"), ("test", "Test event"))
RECOMMENDATIONS = (("strong_yes", "Strong yes"), ("yes", "Yes"), ("no", "No"),
                   ("strong_no", "Strong no"))
LABELS = {
    "api_key": "Harvest API key (legacy, instead of a client id and secret)",
    "client_id": "Client ID", "client_secret": "Client secret",
    "user_id": "User ID that notes are written as",
    "token_url": "Token URL (only for a regional data centre)",
}
FIELD_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
MAX_STAGES, MAX_STAGE_LENGTH = 50, 200


def _own(db, installation_id: int) -> Installation:
    """The signed-in admin's organization's installation, else 404."""
    installation = db.scalar(select(Installation).where(
        Installation.id == installation_id,
        Installation.organization_id == current_organization_id()))
    if installation is None:
        abort(404)
    return installation


def _adapter_cls(installation: Installation) -> type[Adapter]:
    return get_adapter(installation.ats) or abort(404)


def _view(installation: Installation) -> dict:
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
        items = [_view(row) for row in rows]
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
    """An ATS API error as the admin should read it."""
    if isinstance(exc, HostNotAllowed):
        return f"{ats_name} cannot be called at that address: {exc}."
    if isinstance(exc, Unauthorized) and exc.status == 403:
        return f"{ats_name} refused a call these credentials need (403): {exc}."
    if isinstance(exc, Unauthorized):
        return f"{ats_name} refused these credentials ({exc.status or 401})."
    if isinstance(exc, Temporary) and exc.status is None:
        return f"Could not reach {ats_name} ({exc}): check the addresses and the network."
    if isinstance(exc, Temporary):
        return f"{ats_name} answered {exc.status}: it may be busy or down; try again shortly."
    return f"{ats_name} refused the call ({exc.status}): {exc}."


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


@bp.route("/installations/<int:installation_id>/setup/<step>", methods=["GET", "POST"])
@admin_required
def install_step(installation_id: int, step: str):
    """Steps 3 to 7 of the wizard; settings' forms post here too (return_to=settings)."""
    if step not in dict(STEPS):
        abort(404)
    with services().db.session() as db:
        installation = _own(db, installation_id)
        if request.method == "POST" and step in SAVERS:
            problems = SAVERS[step](db, installation)
            if not problems:
                return redirect(_after_save(installation, step))
            db.rollback()
            return _step_page(db, _own(db, installation_id), step, problems, 400)
        if request.method == "POST":
            abort(405)
        return _step_page(db, installation, step, [], 200)


def _after_save(installation: Installation, step: str) -> str:
    if request.form.get("return_to") == "settings":
        flash("Saved.", "ok")
        return url_for(".install_settings", installation_id=installation.id)
    names = [name for name, _ in STEPS]
    return url_for(".install_step", installation_id=installation.id,
                   step=names[names.index(step) + 1])


def _step_page(db, installation: Installation, step: str, problems: list[str], status: int):
    view = _view(installation)
    context = {"item": view, "step": step, "steps": STEPS, "problems": problems,
               "return_to": request.form.get("return_to", "")}
    if step == "webhook":
        context["secret"] = _secret_if_in_setup(installation)
        context["instructions"] = setup_instructions(_adapter_cls(installation), view)
    elif step in ("stages", "results"):
        context.update(_choice_context(installation))
    elif step == "template":
        context["templates"] = _templates(db)
    elif step == "test":
        context["token"] = request.args.get("token", "")
    return render_template(f"admin/install_{step}.html", **context), status


def _secret_if_in_setup(installation: Installation) -> str | None:
    """The webhook secret, only while the wizard is open (shown once, at creation)."""
    if not (installation.options or {}).get(SETUP_FLAG):
        return None
    return services().keyring.decrypt(installation.webhook_secret_encrypted)


def setup_instructions(adapter_cls, view: dict) -> str | None:
    """The ATS's own steps (setup.html beside its adapter), or None for the generic text."""
    path = Path(inspect.getfile(adapter_cls)).parent / "setup.html"
    if not path.is_file():
        return None
    return render_template_string(path.read_text(encoding="utf-8"), item=view)


def _choice_context(installation: Installation) -> dict:
    """The stages to pick from (each name once, with how many jobs have it) and the options."""
    choices, problem = _stage_choices(installation)
    counts: dict[str, int] = {}
    for _id, name in choices or []:
        counts[name] = counts.get(name, 0) + 1
    return {"choices": choices, "stage_problem": problem, "stage_names": list(counts.items()),
            "visibilities": getattr(_adapter_cls(installation), "note_visibilities", ()),
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


def _templates(db) -> list[InterviewTemplate]:
    return list(db.scalars(select(InterviewTemplate).where(or_(
        InterviewTemplate.organization_id == current_organization_id(),
        InterviewTemplate.is_builtin)).order_by(InterviewTemplate.is_builtin.desc(),
                                                InterviewTemplate.name)))


def _save_stages(db, installation: Installation) -> list[str]:
    """Trigger stages: ticked names and typed ones (one a line), matched by id or name."""
    typed = request.form.get("stages_text", "").splitlines()
    chosen, seen = [], set()
    for stage in [*request.form.getlist("stage"), *typed]:
        stage = stage.strip()
        if stage and stage.casefold() not in seen:
            seen.add(stage.casefold())
            chosen.append(stage)
    if not chosen:
        return ["Choose at least one trigger stage."]
    if len(chosen) > MAX_STAGES or any(len(s) > MAX_STAGE_LENGTH for s in chosen):
        return [f"At most {MAX_STAGES} stages of {MAX_STAGE_LENGTH} characters each."]
    template_id = next((r.template_id for r in installation.stage_rules), None)
    installation.stage_rules = [StageRule(stage=s, template_id=template_id) for s in chosen]
    return []


def _save_template(db, installation: Installation) -> list[str]:
    """The interview template of every trigger stage: the organization's or a built-in one."""
    allowed = {str(t.id): t.id for t in _templates(db)}
    chosen = request.form.get("template_id", "")
    if chosen not in allowed:
        return ["Choose one of the listed templates."]
    if not installation.stage_rules:
        return ["Choose the trigger stages first."]
    for rule in installation.stage_rules:
        rule.template_id = allowed[chosen]
    return []


def _save_results(db, installation: Installation) -> list[str]:
    """What goes back to the ATS: note visibility, score field, next stage per decision."""
    visibilities = getattr(_adapter_cls(installation), "note_visibilities", ())
    visibility = request.form.get("note_visibility", "")
    field = request.form.get("custom_field", "").strip()
    problems = []
    if visibilities and visibility not in visibilities:
        problems.append("Choose who may read the notes.")
    if field and not FIELD_KEY.match(field):
        problems.append("The custom field key is letters, digits, '_', '.' or '-' (at most 100).")
    decisions = {key: request.form.get(f"decision_{key}", "").strip()
                 for key, _ in RECOMMENDATIONS}
    if any(len(stage) > MAX_STAGE_LENGTH for stage in decisions.values()):
        problems.append(f"A stage id is at most {MAX_STAGE_LENGTH} characters.")
    if problems:
        return problems
    options = {k: v for k, v in (installation.options or {}).items()
               if k not in ("note_visibility", "custom_field", "decision_stages")}
    if visibility:
        options["note_visibility"] = visibility
    if field:
        options["custom_field"] = field
    decisions = {key: stage for key, stage in decisions.items() if stage}
    if decisions:
        options["decision_stages"] = decisions
    installation.options = options
    return []


SAVERS = {"stages": _save_stages, "template": _save_template, "results": _save_results}


@bp.post("/installations/<int:installation_id>/setup/finish")
@admin_required
def install_finish(installation_id: int):
    """Close the wizard: from now on the secret is not shown again."""
    with services().db.session() as db:
        installation = _own(db, installation_id)
        if not installation.stage_rules:
            flash("Choose at least one trigger stage before finishing.", "error")
            return redirect(url_for(".install_step", installation_id=installation_id,
                                    step="stages"))
        installation.options = {k: v for k, v in (installation.options or {}).items()
                                if k != SETUP_FLAG}
    flash("The connection is installed.", "ok")
    return redirect(url_for(".install_settings", installation_id=installation_id))


@bp.get("/installations/<int:installation_id>")
@admin_required
def install_settings(installation_id: int):
    """An installation's settings: the same choices as the wizard, and its webhook URL."""
    with services().db.session() as db:
        installation = _own(db, installation_id)
        context = {"item": _view(installation), "templates": _templates(db), "problems": [],
                   "return_to": "settings", "token": request.args.get("token", ""),
                   **_choice_context(installation)}
        return render_template("admin/install_settings.html", **context)


@bp.post("/installations/<int:installation_id>/test-event")
@admin_required
def install_test_event(installation_id: int):
    """Queue a signed sample event to the installation's own webhook URL."""
    with services().db.session() as db:
        installation = _own(db, installation_id)
        if sample_event(installation.ats, "x") is None:
            abort(404)
    token = secrets.token_hex(16)
    services().queue.enqueue("jobs.test_events.send_test_event", installation_id, token)
    if request.form.get("return_to") == "settings":
        target = url_for(".install_settings", installation_id=installation_id, token=token)
    else:
        target = url_for(".install_step", installation_id=installation_id, step="test",
                         token=token)
    return redirect(target + "#test-event")


@bp.get("/installations/<int:installation_id>/test-event/<token>")
@admin_required
def install_test_status(installation_id: int, token: str):
    """Where the test event is: sending, refused, stored, or processed (JSON, polled)."""
    with services().db.session() as db:
        installation = _own(db, installation_id)
        return jsonify(test_status(db, installation, token))


def test_status(db, installation: Installation, token: str) -> dict:
    last = (installation.options or {}).get("last_test_event") or {}
    if last.get("token") != token:
        return {"state": "sending", "done": False, "message": "Sending the test event…"}
    if last.get("error"):
        return {"state": "failed", "done": True, "message": f"Not delivered: {last['error']}."}
    delivery = db.scalar(select(WebhookDelivery).where(
        WebhookDelivery.id == last.get("delivery_id"),
        WebhookDelivery.installation_id == installation.id))
    if delivery is None:
        return {"state": "failed", "done": True,
                "message": "The webhook URL answered 200 but stored no delivery."}
    status = delivery.status.value
    found = {"id": delivery.id, "status": status, "outcome": delivery.outcome,
             "action": delivery.action}
    if status in ("received", "processing"):
        return {"state": "stored", "done": False, "delivery": found,
                "message": f"Verified and stored as delivery {delivery.id}; "
                           "waiting for a worker to process it…"}
    done = status in ("processed", "ignored")
    return {"state": "arrived" if done else "failed", "done": True, "delivery": found,
            "message": f"Delivery {delivery.id} arrived: signature verified, stored and "
                       f"processed ({status}: {delivery.outcome or 'no outcome'}). "
                       "Nothing was written to the ATS." if done else
                       f"Delivery {delivery.id} failed while being processed."}
