"""A slow or unreachable PostgreSQL: every statement bounded, the request answered 503.

A database that answers nothing at all is tested end to end, with gunicorn, in
test_postgres_hung.py. Measured before: a hung PostgreSQL gave gunicorn WORKER TIMEOUTs.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from connector.db import Database
from tests.conftest import PG_ADMIN_URL, free_port, make_installation, signed_post

BODY = b'{"action": "ping", "payload": {}}'


def test_every_statement_is_bounded_on_the_server(pg_database_url):
    engine = Database(pg_database_url).engine
    with engine.connect() as connection:
        statement = connection.execute(text("SHOW statement_timeout")).scalar_one()
        lock = connection.execute(text("SHOW lock_timeout")).scalar_one()
    engine.dispose()
    assert (statement, lock) == ("10s", "5s")


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
