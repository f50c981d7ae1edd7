"""The yardstick for bench/webhook_ack.py: the least a durable webhook endpoint can do.

Verify the HMAC-SHA256 signature over the raw bytes, INSERT the delivery into PostgreSQL
(autocommit: one round trip, durable when it returns), enqueue one rq job on Redis (in a
pipeline: one round trip), answer.
No parsing, no framework hooks beyond Flask's own. Set by bench/webhook_ack.py through
DATABASE_URL, REDIS_URL, MINIMAL_WEBHOOK_SECRET and MINIMAL_INSTALLATION_ID.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import datetime, timezone

import psycopg
from flask import Flask, jsonify, request
from redis import Redis
from rq import Queue

app = Flask(__name__)
SECRET = os.environ.get("MINIMAL_WEBHOOK_SECRET", "").encode()
INSTALLATION = int(os.environ.get("MINIMAL_INSTALLATION_ID", "0"))
INSERT = ("INSERT INTO webhook_deliveries (installation_id, delivery_key, action, body, status,"
          " attempts, received_at) VALUES (%s, %s, 'minimal', %s, 'received', 0, %s)"
          " ON CONFLICT DO NOTHING RETURNING id")
_held: dict = {}  # this worker process's connection and queue, opened on first use


def _connections() -> tuple[psycopg.Connection, Queue]:
    if not _held:
        _held["db"] = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
        _held["queue"] = Queue(connection=Redis.from_url(os.environ["REDIS_URL"]))
    return _held["db"], _held["queue"]


@app.post("/webhooks/<ats>/<public_id>")
def receive(ats: str, public_id: str):
    """Verify, store durably, enqueue, acknowledge."""
    body = request.get_data()
    expected = "sha256 " + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not SECRET or not hmac.compare_digest(request.headers.get("Signature", ""), expected):
        return jsonify(error="invalid_signature"), 401
    db, queue = _connections()
    key = "minimal:" + request.headers.get("Greenhouse-Event-ID", "")
    row = db.execute(INSERT, (INSTALLATION, key, body.decode(),
                              datetime.now(timezone.utc))).fetchone()
    if row is None:
        return jsonify(status="duplicate"), 200
    with queue.connection.pipeline() as pipe:
        queue.enqueue("jobs.deliveries.process_delivery", row[0], pipeline=pipe)
        pipe.execute()
    return jsonify(status="accepted", delivery=row[0]), 200
