"""Admin pages: each installation's health, and marking one active again; the admin's home."""

from __future__ import annotations

import logging

from flask import flash, redirect, url_for
from sqlalchemy import func, select

from connector import outbox_admin
from connector.admin import admin_required, bp, current_organization_id, services
from connector.admin.ops import render_page, run_scoped
from connector.models import DeliveryStatus, Installation, OutboxStatus, Push, WebhookDelivery

log = logging.getLogger("connector.admin")


@bp.get("")
@bp.get("/")
@admin_required
def home():
    return redirect(url_for("admin.health"))


@bp.get("/health")
@admin_required
def health():
    """Each installation: status and why, last delivery, last push delivered, what failed."""
    with services().db.session() as db:
        rows = db.execute(_health_query(current_organization_id())).all()
        return render_page("admin/ops_health.html", db, rows=rows)


def _health_query(org: int):
    of = Installation.id
    last_delivery = (select(func.max(WebhookDelivery.received_at))
                     .where(WebhookDelivery.installation_id == of).scalar_subquery())
    last_push = (select(func.max(Push.delivered_at))
                 .where(Push.installation_id == of, Push.status == OutboxStatus.DELIVERED)
                 .scalar_subquery())
    failed_pushes = (select(func.count(Push.id))
                     .where(Push.installation_id == of, Push.status == OutboxStatus.FAILED)
                     .scalar_subquery())
    failed_deliveries = (select(func.count(WebhookDelivery.id))
                         .where(WebhookDelivery.installation_id == of,
                                WebhookDelivery.status == DeliveryStatus.FAILED)
                         .scalar_subquery())
    return (select(Installation, last_delivery.label("last_delivery"),
                   last_push.label("last_push"), failed_pushes.label("failed_pushes"),
                   failed_deliveries.label("failed_deliveries"))
            .where(Installation.organization_id == org).order_by(Installation.name))


@bp.post("/health/<public_id>/reactivate")
@admin_required
def reactivate_installation(public_id: str):
    """Mark the installation active again once its admin has fixed the cause."""
    with services().db.session() as db:
        installation = run_scoped(outbox_admin.reactivate, db, public_id)
        name = installation.name
    log.info("admin.installation.reactivated installation=%s", public_id[:40])
    flash(f"{name} is marked active again.", "success")
    return redirect(url_for("admin.health"), 303)
