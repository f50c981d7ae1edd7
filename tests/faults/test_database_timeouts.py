"""A slow or silent PostgreSQL: every wait bounded below the web's 30 s, the request answered 503.

Measured before: a hung PostgreSQL gave gunicorn WORKER TIMEOUTs and no answer for 30 s.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from connector import db as database
from connector.db import Database
from tests.conftest import PG_ADMIN_URL, free_port, make_installation, signed_post
from tests.faults.proxy import PausableProxy

WEB_TIMEOUT = 30  # gunicorn's worker timeout, as the Procfile runs it
BODY = b'{"action": "ping", "payload": {}}'


def test_every_statement_is_bounded_on_the_server(pg_database_url):
    engine = Database(pg_database_url).engine
    with engine.connect() as connection:
        statement = connection.execute(text("SHOW statement_timeout")).scalar_one()
        lock = connection.execute(text("SHOW lock_timeout")).scalar_one()
    engine.dispose()
    assert (statement, lock) == ("10s", "5s")


def timed(action, limit: float):
    """Run `action` in a thread: (seconds taken, exception raised), or fail past `limit`."""
    outcome: dict = {}

    def run():
        started = time.monotonic()
        try:
            action()
        except Exception as exc:  # what the test inspects
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    assert "seconds" in outcome, f"still waiting for the database after {limit:.0f} s"
    return outcome["seconds"], outcome.get("error")


def test_a_silent_database_is_given_up_on_before_the_web_would_be(pg_database_url):
    proxy = PausableProxy(5432).start()
    db = Database(proxy.url_for(pg_database_url))
    with db.session() as session:  # a pooled connection, as a busy web process has
        session.execute(text("SELECT 1"))
    proxy.pause()
    try:
        seconds, error = timed(lambda: db.session().__enter__().execute(text("SELECT 1")),
                               WEB_TIMEOUT)
    finally:
        proxy.close()
        db.dispose()
    bound = database.PG_WAIT_SECONDS + database.PG_CONNECT_TIMEOUT_SECONDS
    print(f"\nsilent database given up on after {seconds:.1f} s (bound {bound} s)")
    assert isinstance(error, OperationalError)
    assert seconds <= bound + 1 < WEB_TIMEOUT


@pytest.fixture
def unreachable(services, monkeypatch):
    """The app's services, with a database that refuses every connection from now on."""
    installation = make_installation(services, ["Assessment"])
    gone = PG_ADMIN_URL.rsplit(":", 1)[0] + f":{free_port()}/gone"
    monkeypatch.setattr(services, "db", Database(gone))
    services.receivers = type(services.receivers)()  # nothing known without the database
    return installation


def test_a_request_that_cannot_reach_the_database_is_answered_503(client, unreachable):
    webhook = signed_post(client, unreachable, BODY)
    assert webhook.status_code == 503 and webhook.headers["Retry-After"] == "30"
    assert webhook.get_json()["error"] == "service_unavailable"

    page = client.get("/interview/" + "x" * 43, headers={"Accept": "text/html"})
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert page.mimetype == "text/html" and "try again" in page.get_data(as_text=True)

    script = client.get("/interview/" + "x" * 43, headers={"Accept": "application/json"})
    assert script.status_code == 503 and script.is_json
