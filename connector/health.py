"""Liveness (/healthz) and readiness (/readyz) for load balancers and orchestrators.

/healthz answers as long as the process serves requests. /readyz answers 200 only when the
database answers, Redis answers (when jobs go through it) and the schema is at the newest
migration; otherwise 503 with one word per failed check. Neither names a host, URL or secret.
"""

from __future__ import annotations

import functools
import logging

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import inspect, text

from connector.migrate import alembic_config
from jobs.queue import RedisQueue

bp = Blueprint("health", __name__)
log = logging.getLogger("connector.health")

PROBE_TIMEOUT_SECONDS = 2  # a probe that hangs is no answer; orchestrators time out soon after
VERSION_TABLE = "alembic_version"  # Alembic's default; connector/migrations/env.py keeps it
OK = "ok"
EMBEDDED = "embedded"  # jobs run in this process: no Redis to ask, and nothing missing


@bp.get("/healthz")
def healthz():
    """The process is up: nothing else is asked."""
    return _no_store(jsonify(status=OK))


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database, Redis and the schema all answer as they should."""
    services = current_app.extensions["connector"]
    checks = {**check_database(services.db.engine), "redis": check_redis(services)}
    ready = all(value in (OK, EMBEDDED) for value in checks.values())
    if not ready:
        log.warning("health.not-ready %s", " ".join(f"{k}={v}" for k, v in checks.items()))
    body = jsonify(status="ready" if ready else "unavailable", checks=checks)
    return _no_store(body), 200 if ready else 503


def check_database(engine) -> dict[str, str]:
    """`SELECT 1`, and the schema's revision against the newest migration."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = _applied_revisions(connection)
    except Exception as exc:  # the driver's message may name the host: only its type is logged
        log.warning("health.database-failed error=%s", type(exc).__name__)
        return {"database": "unreachable", "migrations": "unknown"}
    return {"database": OK, "migrations": _migration_state(current)}


def _applied_revisions(connection) -> set[str]:
    """The revisions in Alembic's table (read directly: its MigrationContext logs per call)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return set(connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))


def _migration_state(current: set[str]) -> str:
    heads = set(_script_heads())
    if current == heads:
        return OK
    known = set(_known_revisions())
    return "behind" if current <= known else "unknown"


@functools.cache
def _script_heads() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


@functools.cache
def _known_revisions() -> tuple[str, ...]:
    script = ScriptDirectory.from_config(alembic_config())
    return tuple(rev.revision for rev in script.walk_revisions())


def check_redis(services) -> str:
    """PING on Redis; the embedded in-process queue has nothing to ask."""
    if not isinstance(services.queue, RedisQueue):
        return EMBEDDED
    try:
        _probe_client(services.settings.redis_url).ping()
    except Exception as exc:  # as above: the type only, never the message with its URL
        log.warning("health.redis-failed error=%s", type(exc).__name__)
        return "unreachable"
    return OK


@functools.lru_cache(maxsize=4)
def _probe_client(redis_url: str):
    """A client of its own with short timeouts: the queue's waits as long as a job needs."""
    from redis import Redis

    return Redis.from_url(redis_url, socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
                          socket_timeout=PROBE_TIMEOUT_SECONDS)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
