"""/healthz and /readyz: ready only with the database, Redis and the schema as they should be."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from sqlalchemy import text

from connector.app import create_app
from connector.services import install
from connector.wiring import build_services
from tests.conftest import free_port

READY = {"database": "ok", "migrations": "ok", "redis": "embedded"}


@pytest.fixture
def app_on():
    """`app_on(settings)`: a test client of an app of its own on changed settings."""
    made = []

    def make(settings):
        services = install(build_services(settings, synchronous_jobs=True))
        made.append(services)
        application = create_app(services=services)
        application.config["TESTING"] = True
        return application.test_client()

    yield make
    for services in made:
        services.close()


def assert_not_ready(response, **failed):
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "unavailable"
    for check, word in failed.items():
        assert body["checks"][check] == word
    assert response.headers["Cache-Control"] == "no-store"
    return body


def test_healthz_answers_while_the_process_serves(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_ready_on_a_migrated_database_with_the_embedded_queue(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": READY}
    assert response.headers["Cache-Control"] == "no-store"


def test_ready_with_redis_answering(app_on, settings, redis_url):
    response = app_on(replace(settings, redis_url=redis_url)).get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == dict(READY, redis="ok")


def test_redis_on_a_closed_port_is_unready_and_named_without_its_url(app_on, settings, caplog):
    port = free_port()
    client = app_on(replace(settings, redis_url=f"redis://:hunter2secret@127.0.0.1:{port}/0"))
    with caplog.at_level(logging.WARNING):
        response = client.get("/readyz")
    body = assert_not_ready(response, redis="unreachable", database="ok", migrations="ok")
    for leak in (str(port), "hunter2secret", "127.0.0.1", "redis://"):
        assert leak not in response.get_data(as_text=True) and leak not in caplog.text
    assert set(body) == {"status", "checks"}


def test_a_database_on_a_closed_port_is_unready(app_on, settings, caplog):
    port = free_port()
    url = f"postgresql://connector:s3cretpass@127.0.0.1:{port}/connector"
    client = app_on(replace(settings, database_url=url))
    with caplog.at_level(logging.WARNING):
        response = client.get("/readyz")
    assert_not_ready(response, database="unreachable", migrations="unknown", redis="embedded")
    for leak in (str(port), "s3cretpass", "127.0.0.1", "postgresql"):
        assert leak not in response.get_data(as_text=True) and leak not in caplog.text


def set_revision(settings, revision: str | None) -> None:
    from sqlalchemy import create_engine

    url = settings.database_url.replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url)
    with engine.begin() as connection:
        if revision is None:
            connection.execute(text("DROP TABLE alembic_version"))
        else:
            connection.execute(text("UPDATE alembic_version SET version_num = :r"),
                               {"r": revision})
    engine.dispose()


@pytest.mark.parametrize("revision, word", [("0004", "behind"), (None, "behind"),
                                            ("9999", "unknown")])
def test_a_schema_not_at_the_newest_migration_is_unready(app_on, settings, revision, word):
    set_revision(settings, revision)
    response = app_on(settings).get("/readyz")
    assert_not_ready(response, migrations=word, database="ok", redis="embedded")


def test_healthz_does_not_ask_the_database(app_on, settings):
    client = app_on(replace(settings, database_url=f"postgresql://x@127.0.0.1:{free_port()}/x"))
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503


def test_database_errors_do_not_reach_the_log_with_row_values(services):
    """A refused row's values stay out of logs: unbound by SQLAlchemy, redacted from DETAIL."""
    import logging

    from sqlalchemy.exc import IntegrityError

    from config.logging import RedactingFormatter
    from connector.models import User

    def add_user():
        with services.db.session() as db:
            db.add(User(organization_id=None, email="ada@example.org", password_hash="x"))

    try:
        add_user()  # no such organization: refused, with the address among the values
    except IntegrityError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "boom", None,
                                   __import__("sys").exc_info())
        logged = RedactingFormatter("%(message)s").format(record)
    else:
        raise AssertionError("the row was accepted")
    assert "IntegrityError" in logged
    assert "ada@example.org" not in logged
