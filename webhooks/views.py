"""POST /webhooks/<ats>/<installation>: verify, parse, store, enqueue, answer. Nothing else."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from adapters import get_adapter
from connector.crypto import InvalidToken
from connector.models import DeliveryStatus, WebhookDelivery
from webhooks.errors import (
    PayloadTooLarge,
    SignatureError,
    UnknownInstallation,
    WebhookError,
)

MAX_BODY_BYTES = 1024 * 1024
# Built once: a Core INSERT with bound parameters hits SQLAlchemy's statement cache every time.
_INSERT = insert(WebhookDelivery).returning(WebhookDelivery.id)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger("connector.webhooks")


@bp.post("/<ats>/<public_id>")
def receive(ats: str, public_id: str):
    """Accept one delivery from an ATS."""
    services = current_app.extensions["connector"]
    try:
        return _receive(services, ats, public_id)
    except WebhookError as exc:
        log.warning("%s.webhook.rejected reason=%s installation=%s", ats if get_adapter(ats)
                    else "unknown", exc.reason, public_id[:40])
        return jsonify(error=exc.reason, detail=exc.detail), exc.status


def _receive(services, ats: str, public_id: str):
    if get_adapter(ats) is None:
        raise UnknownInstallation("no such ATS")
    try:
        receiver = services.receivers.get(services.db, services.keyring,
                                          services.settings.production, ats, public_id)
    except InvalidToken as exc:  # the secret cannot be read: refuse, never pass
        raise SignatureError("webhook secret unreadable", "missing_secret") from exc
    if receiver is None:
        raise UnknownInstallation("no such installation")
    body = _read_body()
    adapter = receiver.verify(body, request.headers)  # or the previous secret, in its grace
    action, event = adapter.read(body, request.headers)
    row = {
        "installation_id": receiver.installation_id,
        "delivery_key": adapter.delivery_id(body, request.headers),
        "action": action[:100],
        "event": event.to_dict() if event else None,
        "body": body.decode("utf-8"),
        "status": DeliveryStatus.RECEIVED if event else DeliveryStatus.IGNORED,
        "outcome": None if event else "not_actionable",
    }
    try:
        with services.db.engine.begin() as connection:
            delivery_id = connection.execute(_INSERT, row).scalar_one()
    except IntegrityError:
        log.info("%s.webhook.duplicate installation=%s", ats, public_id)
        return jsonify(status="duplicate"), 200
    if event is not None:
        services.queue.enqueue("jobs.deliveries.process_delivery", delivery_id)
    log.info("%s.webhook.accepted delivery=%s action=%s", ats, delivery_id, row["action"])
    return jsonify(status="accepted", delivery=delivery_id), 200


def _read_body() -> bytes:
    """The raw bytes, refused past the cap before they are all read."""
    request.max_content_length = MAX_BODY_BYTES
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise PayloadTooLarge(f"the body is over {MAX_BODY_BYTES} bytes") from exc
