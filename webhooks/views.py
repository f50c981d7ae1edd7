"""POST /webhooks/<ats>/<public_id>: verify, parse, store, enqueue, answer. Nothing else.

A plain WSGI app on werkzeug's Request and Response rather than a Flask blueprint: a delivery
carries no cookie, session or form and is drawn no page, and Flask's per-request contexts,
routing and signals cost a delivery a twelfth of its throughput (bench/webhook_ack.py).
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import bindparam, exists, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError, TimeoutError as PoolTimeout
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from adapters import get_adapter
from connector import tasks
from connector.crypto import InvalidToken
from connector.errors import RETRY_AFTER_SECONDS, UNAVAILABLE, log_unavailable
from connector.models import (
    NOT_ACTIONABLE, DeliveryStatus, Installation, WebhookDelivery, utcnow,
)
from webhooks.errors import PayloadTooLarge, SignatureError, UnknownInstallation, WebhookError
from webhooks.receivers import ReceiverCache

PREFIX = "/webhooks/"
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

log = logging.getLogger("connector.webhooks")


class WebhookApp:
    """WSGI: the webhook route and its JSON error answers, no more."""

    def __init__(self, services):
        self.services = services
        if services.receivers is None:  # each app's services keep their own cache
            services.receivers = ReceiverCache()

    def __call__(self, environ, start_response):
        request = Request(environ)
        return self.answer(request)(environ, start_response)

    def answer(self, request: Request) -> Response:
        """The answer to one request under PREFIX."""
        ats, _, public_id = request.path[len(PREFIX):].partition("/")
        if not ats or not public_id or "/" in public_id:
            return _json(404, error="not_found", detail="No such webhook address.")
        if request.method != "POST":
            response = _json(405, error="method_not_allowed", detail="Webhooks are POSTed.")
            response.headers["Allow"] = "POST"
            return response
        try:
            return receive(self.services, request, ats, public_id)
        except (OperationalError, PoolTimeout) as exc:  # the database did not answer in time
            log_unavailable(exc)
            response = _json(503, **UNAVAILABLE)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        except Exception:
            log.exception("%s.webhook.failed installation=%s", _known(ats), public_id[:40])
            return _json(500, error="internal_server_error", detail="The delivery was not kept.")


def receive(services, request: Request, ats: str, public_id: str) -> Response:
    """Accept one delivery from an ATS."""
    try:
        return _receive(services, request, ats, public_id)
    except WebhookError as exc:
        log.warning("%s.webhook.rejected reason=%s installation=%s", _known(ats), exc.reason,
                    public_id[:40])
        return _json(exc.status, error=exc.reason, detail=exc.detail)


def _receive(services, request: Request, ats: str, public_id: str) -> Response:
    if get_adapter(ats) is None:
        raise UnknownInstallation("no such ATS")
    receiver = _receiver(services, ats, public_id)
    if receiver.adapter.manifest.can("handshake"):
        reply = receiver.adapter.handshake(request.headers)
        if reply is not None:  # a subscription check: nothing is signed or stored yet
            log.info("%s.webhook.handshake installation=%s", ats, public_id)
            return Response(reply.body, reply.status, dict(reply.headers))
    body = _read_body(request)
    try:
        delivery_id, row = _store(services, receiver, request, body)
        if delivery_id is None:  # the secret changed since this process cached it
            services.receivers.forget(ats, public_id)
            delivery_id, row = _store(services, _receiver(services, ats, public_id), request,
                                      body)
    except IntegrityError:
        log.info("%s.webhook.duplicate installation=%s", ats, public_id)
        return _json(receiver.adapter.ack_status, status="duplicate")
    if delivery_id is None:
        raise SignatureError("the webhook secret changed meanwhile", "secret_changed")
    if row["status"] is DeliveryStatus.RECEIVED:
        services.queue.enqueue(tasks.PROCESS_DELIVERY, delivery_id)
    # DEBUG, not INFO: gunicorn's access log already has a line per delivery and the worker logs
    # its outcome by delivery id; a third line cost the endpoint a tenth of its throughput.
    log.debug("%s.webhook.accepted delivery=%s action=%s", ats, delivery_id, row["action"])
    return _json(receiver.adapter.ack_status, status="accepted", delivery=delivery_id)


def _receiver(services, ats: str, public_id: str):
    try:
        receiver = services.receivers.get(services.db, services.keyring, services.settings,
                                          ats, public_id)
    except InvalidToken as exc:  # the secret cannot be read: refuse, never pass
        raise SignatureError("webhook secret unreadable", "missing_secret") from exc
    if receiver is None:
        raise UnknownInstallation("no such installation")
    return receiver


def _store(services, receiver, request: Request, body: bytes) -> tuple[int | None, dict]:
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


def _read_body(request: Request) -> bytes:
    """The raw bytes, refused past the cap before they are all read."""
    request.max_content_length = MAX_BODY_BYTES
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise PayloadTooLarge(f"the body is over {MAX_BODY_BYTES} bytes") from exc


def _json(code: int, /, **fields) -> Response:
    """A JSON answer, written as Flask's jsonify writes it."""
    body = json.dumps(fields, separators=(",", ":"), sort_keys=True) + "\n"
    return Response(body, code, mimetype="application/json")


def _known(ats: str) -> str:
    """The log prefix: the ATS key, or "unknown" for a URL segment that names none."""
    return ats if get_adapter(ats) else "unknown"
