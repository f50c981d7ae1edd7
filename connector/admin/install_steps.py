"""Admin pages: the install wizard's steps after the credentials, and the test event."""

from __future__ import annotations

import secrets

from flask import (
    abort, flash, jsonify, redirect, render_template, render_template_string, request, url_for,
)
from marshmallow import ValidationError
from sqlalchemy import select

from adapters.manifest import Manifest
from connector import tasks
from connector.admin import admin_required, bp, services
from connector.admin.installs import (
    RECOMMENDATIONS, SETUP_FLAG, choice_context, installation_view, manifest_of,
    offered_templates, own_installation,
)
from connector.models import Installation, StageRule, WebhookDelivery

STEPS = (("webhook", "Webhook"), ("stages", "Trigger stages"), ("template", "Interview template"),
         ("results", "What goes back"), ("test", "Test event"))
MAX_STAGES, MAX_STAGE_LENGTH = 50, 200


@bp.route("/installations/<int:installation_id>/setup/<step>", methods=["GET", "POST"])
@admin_required
def install_step(installation_id: int, step: str):
    """Steps 3 to 7 of the wizard; settings' forms post here too (return_to=settings)."""
    if step not in dict(STEPS):
        abort(404)
    with services().db.session() as db:
        installation = own_installation(db, installation_id)
        if request.method == "POST" and step in SAVERS:
            problems = SAVERS[step](db, installation)
            if not problems:
                return redirect(_after_save(installation, step))
            db.rollback()
            return _step_page(db, own_installation(db, installation_id), step, problems, 400)
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
    view = installation_view(installation)
    context = {"item": view, "step": step, "steps": STEPS, "problems": problems,
               "return_to": request.form.get("return_to", "")}
    if step == "webhook":
        context["secret"] = _secret_if_in_setup(installation)
        context["instructions"] = setup_instructions(manifest_of(installation), view)
    elif step in ("stages", "results"):
        context.update(choice_context(installation))
    elif step == "template":
        context["templates"] = offered_templates(db)
    elif step == "test":
        context["token"] = request.args.get("token", "")
    return render_template(f"admin/install_{step}.html", **context), status


def _secret_if_in_setup(installation: Installation) -> str | None:
    """The webhook secret, only while the wizard is open (shown once, at creation)."""
    if not (installation.options or {}).get(SETUP_FLAG):
        return None
    return services().keyring.decrypt(installation.webhook_secret_encrypted)


def setup_instructions(manifest: Manifest, view: dict) -> str | None:
    """The ATS's own steps (setup.html in its folder), or None for the generic text."""
    steps = manifest.setup_steps()
    return None if steps is None else render_template_string(steps, item=view)


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
    allowed = {str(t.id): t.id for t in offered_templates(db)}
    chosen = request.form.get("template_id", "")
    if chosen not in allowed:
        return ["Choose one of the listed templates."]
    if not installation.stage_rules:
        return ["Choose the trigger stages first."]
    for rule in installation.stage_rules:
        rule.template_id = allowed[chosen]
    return []


def _save_results(db, installation: Installation) -> list[str]:
    """What goes back to the ATS: the ATS's own options, and the next stage per decision."""
    manifest = manifest_of(installation)
    form = {item["key"]: request.form.get(item["key"], "").strip() or None
            for item in manifest.option_fields()}
    try:
        chosen = manifest.load_options(form)
    except ValidationError as exc:
        return [f"{key.replace('_', ' ').capitalize()}: {' '.join(map(str, messages))}"
                for key, messages in exc.messages.items()]
    decisions = {key: request.form.get(f"decision_{key}", "").strip()
                 for key, _ in RECOMMENDATIONS} if manifest.can("move") else {}
    if any(len(stage) > MAX_STAGE_LENGTH for stage in decisions.values()):
        return [f"A stage id is at most {MAX_STAGE_LENGTH} characters."]
    kept = {k: v for k, v in (installation.options or {}).items()
            if k not in form and k != "decision_stages"}
    options = {**kept, **{k: v for k, v in chosen.items() if v is not None}}
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
        installation = own_installation(db, installation_id)
        if not installation.stage_rules:
            flash("Choose at least one trigger stage before finishing.", "error")
            return redirect(url_for(".install_step", installation_id=installation_id,
                                    step="stages"))
        installation.options = {k: v for k, v in (installation.options or {}).items()
                                if k != SETUP_FLAG}
    flash("The installation is set up.", "ok")
    return redirect(url_for(".install_settings", installation_id=installation_id))


@bp.post("/installations/<int:installation_id>/test-event")
@admin_required
def install_test_event(installation_id: int):
    """Queue a signed sample event to the installation's own webhook URL."""
    with services().db.session() as db:
        installation = own_installation(db, installation_id)
        if not manifest_of(installation).can("test_event"):
            abort(404)
    token = secrets.token_hex(16)
    services().queue.enqueue(tasks.SEND_TEST_EVENT, installation_id, token)
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
        installation = own_installation(db, installation_id)
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
