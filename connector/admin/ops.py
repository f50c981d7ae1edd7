"""Admin pages for operations: the deliveries log and the pushes, and what such pages share."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from connector.admin import admin_required, bp, current_organization_id, services
from connector.models import (
    DeliveryStatus,
    Installation,
    Interview,
    Organization,
    OutboxStatus,
    Push,
    WebhookDelivery,
)
from connector.outbox import retries

log = logging.getLogger("connector.admin")

PAGE_SIZE = 50
MAX_PAGE = 10_000
ATTENTION_FIRST = (OutboxStatus.FAILED, OutboxStatus.HELD)


# --- deliveries ------------------------------------------------------------------------------

@bp.get("/deliveries")
@admin_required
def deliveries():
    """The webhook deliveries log, newest first, by status and installation."""
    with services().db.session() as db:
        org = current_organization_id()
        status = enum_arg("status", DeliveryStatus)
        installation = _installation_filter(db, org)
        query = (select(WebhookDelivery.id, WebhookDelivery.received_at, WebhookDelivery.action,
                        WebhookDelivery.status, WebhookDelivery.outcome,
                        WebhookDelivery.attempts, Installation.name.label("installation"))
                 .join(Installation).where(Installation.organization_id == org)
                 .order_by(WebhookDelivery.received_at.desc(), WebhookDelivery.id.desc()))
        if status:
            query = query.where(WebhookDelivery.status == status)
        if installation:
            query = query.where(WebhookDelivery.installation_id == installation.id)
        return render_page("admin/ops_deliveries.html", db, rows=paginate(db, query),
                           statuses=list(DeliveryStatus), installations=_installations(db, org))


@bp.get("/deliveries/<int:delivery_id>")
@admin_required
def delivery(delivery_id: int):
    """One delivery: its payload with candidate data masked, and a way to replay it."""
    with services().db.session() as db:
        row = run_scoped(retries.find_delivery, db, delivery_id)
        installation = db.get(Installation, row.installation_id)
        return render_page("admin/ops_delivery.html", db, delivery=row,
                           installation=installation, payload=masked_json(row.body),
                           event=masked_json(row.event))


@bp.post("/deliveries/<int:delivery_id>/replay")
@admin_required
def replay_delivery(delivery_id: int):
    """Run the stored delivery through its job again, as if it had just arrived."""
    with services().db.session() as db:
        run_scoped(retries.replay_delivery, db, delivery_id, "admin.delivery",
                   delivery_id=delivery_id)
    services().queue.enqueue(retries.DELIVERY_JOB, delivery_id)
    log.info("admin.delivery.replayed delivery=%s", delivery_id)
    flash(f"Delivery {delivery_id} was queued again.", "success")
    return redirect(url_for("admin.delivery", delivery_id=delivery_id), 303)


# --- pushes ----------------------------------------------------------------------------------

@bp.get("/pushes")
@admin_required
def pushes():
    """Writes to the ATS: those that need attention (failed, held) first, then newest first."""
    with services().db.session() as db:
        org = current_organization_id()
        status = enum_arg("status", OutboxStatus)
        installation = _installation_filter(db, org)
        needs_attention = case((Push.status.in_(ATTENTION_FIRST), 0), else_=1)
        query = (select(Push.id, Push.created_at, Push.kind, Push.status, Push.attempts,
                        Push.last_error, Push.next_attempt_at, Push.delivered_at,
                        Installation.name.label("installation"),
                        Interview.public_id.label("session"))
                 .join(Installation, Push.installation_id == Installation.id)
                 .outerjoin(Interview, Push.session_id == Interview.id)
                 .where(Installation.organization_id == org)
                 .order_by(needs_attention, Push.id.desc()))
        if status:
            query = query.where(Push.status == status)
        if installation:
            query = query.where(Push.installation_id == installation.id)
        return render_page("admin/ops_pushes.html", db, rows=paginate(db, query),
                           statuses=list(OutboxStatus), installations=_installations(db, org),
                           retryable=retries.RETRYABLE)


@bp.post("/pushes/<int:push_id>/retry")
@admin_required
def retry_push(push_id: int):
    """Send a failed or held push again now, as `connector pushes retry` does."""
    with services().db.session() as db:
        run_scoped(retries.retry_push, db, push_id, "admin.pushes")
    services().queue.enqueue(retries.PUSH_JOB, push_id)
    log.info("admin.push.retried push=%s", push_id)
    flash(f"Push {push_id} was queued again.", "success")
    return redirect(url_for("admin.pushes"), 303)


# --- shared helpers --------------------------------------------------------------------------

@dataclass(frozen=True)
class Paged:
    rows: list
    number: int
    has_next: bool


def paginate(db: Session, query, scalars: bool = False) -> Paged:
    """One page of the query; one row more than shown tells whether a next page exists."""
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, f"page must be a whole number from 1 to {MAX_PAGE}")
    number = int(raw)
    query = query.limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE)
    rows = (db.scalars(query) if scalars else db.execute(query)).all()
    return Paged(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)


def enum_arg(name: str, kind):
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        abort(400, f"{name} must be one of: {', '.join(m.value for m in kind)}")


def _installations(db: Session, org: int) -> list[Installation]:
    return db.scalars(select(Installation).where(Installation.organization_id == org)
                      .order_by(Installation.name)).all()


def _installation_filter(db: Session, org: int) -> Installation | None:
    public_id = request.args.get("installation", "")
    if not public_id:
        return None
    found = db.scalar(select(Installation).where(Installation.public_id == public_id,
                                                 Installation.organization_id == org))
    if found is None:
        abort(404)
    return found


# Replay, retry and reactivate share their logic with the CLI through connector.outbox.retries,
# which finds only the organization's own rows: another organization's id is "not found" there.
def run_scoped(action, db: Session, ref, back: str = "admin.home", **back_args):
    """Run a scoped lookup or action: not found is 404, a refused change 409 with its reason."""
    try:
        return action(db, ref, current_organization_id())
    except retries.NoSuchRow:
        abort(404)
    except retries.Refused as exc:
        page = render_template("admin/ops_refused.html", reason=str(exc),
                               back=url_for(back, **back_args))
        abort(make_response(page, 409))


def organization_zone(db: Session) -> ZoneInfo:
    try:
        return ZoneInfo(db.get(Organization, current_organization_id()).timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def render_page(template: str, db: Session, **context):
    """An admin page in the organization's time zone; never cached (it names candidates)."""
    zone = organization_zone(db)
    context.setdefault("when", lambda moment: (
        f"{moment.astimezone(zone):%Y-%m-%d %H:%M}" if moment else "—"))
    page = render_template(template, zone=zone.key, args=request.args.to_dict(), **context)
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- masking candidate data in payloads ------------------------------------------------------

MASK = "•••"
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# A key holding any of these words holds personal data wherever it appears.
PERSONAL_WORDS = ("email", "phone", "mobile", "address", "firstname", "lastname", "fullname",
                  "middlename", "surname", "givenname", "familyname", "displayname", "nickname",
                  "username", "birth", "photo", "avatar", "resume", "social", "linkedin",
                  "gender", "ethnic", "nationality", "attachment", "education", "employment")
# An object under a key holding one of these describes a person: in it, only ids, timestamps
# and flags are shown.
PERSON_WORDS = ("candidate", "applicant", "prospect", "person", "people", "profile", "contact",
                "recruiter", "coordinator", "creditedto", "interviewer", "referrer", "user",
                "owner", "hiringmanager", "reviewer", "sender", "author")
SAFE_PERSON_KEYS = {"id", "createdat", "updatedat", "lastactivityat", "isprivate", "canemail",
                    "status", "type", "kind"}


def mask_personal(value, in_person: bool = False):
    """A copy of a JSON value with candidate data replaced by "•••"."""
    if isinstance(value, dict):
        return {key: _mask_entry(key, item, in_person) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_personal(item, in_person) for item in value]
    if isinstance(value, str):
        return EMAIL.sub(MASK, value)
    return value


def _mask_entry(key, value, in_person: bool):
    word = re.sub(r"[^a-z0-9]", "", str(key).lower())
    if value is None:
        return None
    if any(part in word for part in PERSONAL_WORDS):
        return MASK
    if in_person and word not in SAFE_PERSON_KEYS and not str(key).lower().endswith("_id"):
        return MASK
    return mask_personal(value, any(part in word for part in PERSON_WORDS))


def masked_json(value) -> str | None:
    """Pretty-printed, masked JSON of a stored body (text) or event (parsed); None if absent."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None  # not JSON: shown as nothing rather than unmasked
    return json.dumps(mask_personal(value), indent=2, ensure_ascii=False, sort_keys=False)
