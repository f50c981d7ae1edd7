"""POST /webhooks/<ats>/<installation>: verify, parse, store, enqueue, answer. Nothing else."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import bindparam, exists, insert, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from adapters import get_adapter
from connector import tasks
from connector.crypto import InvalidToken
from connector.models import (
    NOT_ACTIONABLE, DeliveryStatus, Installation, WebhookDelivery, utcnow,
)
from webhooks.errors import PayloadTooLarge, SignatureError, UnknownInstallation, WebhookError
from webhooks.receivers import ReceiverCache

MAX_BODY_BYTES = 1024 * 1024
# Not the parsed event: the delivery job reads the stored bytes again and keeps the parse then.
_COLUMNS = ("installation_id", "delivery_key", "action", "body", "headers", "status", "outcome",
            "attempts", "received_at")
# Built once, so the database compiles it once (Database.execute_now). The row is kept only while
# the installation still has the secret that verified it (`sealed`): a secret rotated in another
# process stops working at once, at the cost of one primary-key lookup in the same statement.
_INSERT = insert(WebhookDelivery).from_select(_COLUMNS, select(
    *(bindparam(name, type_=WebhookDelivery.__table__.c[name].type) for name in _COLUMNS),
).where(exists().where(Installation.id == bindparam("installation_id"),
                       Installation.webhook_secret_encrypted == bindparam("sealed")))
).returning(WebhookDelivery.id)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger("connector.webhooks")


@bp.record_once
def _keep_receivers(state) -> None:
    """Each app's services get their own cache of installations behind webhook URLs."""
    services = state.app.extensions["connector"]
    if services.receivers is None:
        services.receivers = ReceiverCache()


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
    receiver = _receiver(services, ats, public_id)
    if receiver.adapter.manifest.can("handshake"):
        reply = receiver.adapter.handshake(request.headers)
        if reply is not None:  # a subscription check: nothing is signed or stored yet
            log.info("%s.webhook.handshake installation=%s", ats, public_id)
            return Response(reply.body, reply.status, dict(reply.headers))
    body = _read_body()
    try:
        delivery_id, row = _store(services, receiver, body)
        if delivery_id is None:  # the secret changed since this process cached it
            services.receivers.forget(ats, public_id)
            delivery_id, row = _store(services, _receiver(services, ats, public_id), body)
    except IntegrityError:
        log.info("%s.webhook.duplicate installation=%s", ats, public_id)
        return jsonify(status="duplicate"), receiver.adapter.ack_status
    if delivery_id is None:
        raise SignatureError("the webhook secret changed meanwhile", "secret_changed")
    if row["status"] is DeliveryStatus.RECEIVED:
        services.queue.enqueue(tasks.PROCESS_DELIVERY, delivery_id)
    # DEBUG, not INFO: gunicorn's access log already has a line per delivery and the worker logs
    # its outcome by delivery id; a third line cost the endpoint a tenth of its throughput.
    log.debug("%s.webhook.accepted delivery=%s action=%s", ats, delivery_id, row["action"])
    return jsonify(status="accepted", delivery=delivery_id), receiver.adapter.ack_status


def _receiver(services, ats: str, public_id: str):
    try:
        receiver = services.receivers.get(services.db, services.keyring, services.settings,
                                          ats, public_id)
    except InvalidToken as exc:  # the secret cannot be read: refuse, never pass
        raise SignatureError("webhook secret unreadable", "missing_secret") from exc
    if receiver is None:
        raise UnknownInstallation("no such installation")
    return receiver


def _store(services, receiver, body: bytes) -> tuple[int | None, dict]:
    """Verify, parse and keep the delivery; its id, or None if the secret is no longer current."""
    adapter = receiver.verify(body, request.headers)  # or the previous secret, in its grace
    action, event = adapter.read(body, request.headers)
    row = {
        "installation_id": receiver.installation_id,
        "delivery_key": adapter.delivery_id(body, request.headers),
        "action": action[:100],
        "body": body.decode("utf-8"),
        # What a replay needs to read the body again with the adapter of the day.
        "headers": {name: request.headers[name] for name in adapter.kept_headers
                    if name in request.headers} or None,
        "status": DeliveryStatus.RECEIVED if event else DeliveryStatus.IGNORED,
        "outcome": None if event else NOT_ACTIONABLE,
        "attempts": 0,
        "received_at": utcnow(),
    }
    # Committed before the answer; a duplicate (IntegrityError) already has its job queued,
    # or the sweeper queues it.
    return services.db.execute_now(_INSERT, {**row, "sealed": receiver.sealed}), row


def _read_body() -> bytes:
    """The raw bytes, refused past the cap before they are all read."""
    request.max_content_length = MAX_BODY_BYTES
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise PayloadTooLarge(f"the body is over {MAX_BODY_BYTES} bytes") from exc
