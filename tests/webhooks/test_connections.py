"""A delivery on PostgreSQL: one INSERT committed on its own, and dropped connections survived."""

from __future__ import annotations

import os
import time

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from connector import db as connector_db
from connector.db import Database
from connector.models import Installation, WebhookDelivery, utcnow
from webhooks import views
from tests.conftest import PG_ADMIN_URL, fixture_body, free_port, make_installation, signed_post

BODY = fixture_body("greenhouse", "candidate_stage_change")


@pytest.fixture
def database_url(pg_database_url):
    return pg_database_url


def drop_connections(database_url: str) -> int:
    """Have the server end every session on the test's database, as a restart would."""
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        return len(conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = %s AND pid <> pg_backend_pid()",
                                (name,)).fetchall())


def stored(database_url: str, key: str) -> bool:
    """Whether another connection sees the delivery: it was committed."""
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM webhook_deliveries WHERE delivery_key = %s",
                            (f"greenhouse:{key}",)).fetchone()[0] == 1


def test_a_delivery_is_committed_before_it_is_answered(client, services, database_url):
    installation = make_installation(services, trigger_stages=["Assessment"])
    response = signed_post(client, installation, BODY, event_id="evt-committed")
    assert response.status_code == 200
    assert stored(database_url, "evt-committed")


def test_a_connection_dropped_since_the_last_delivery_costs_no_delivery(client, services,
                                                                       database_url):
    installation = make_installation(services, trigger_stages=["Assessment"])
    assert signed_post(client, installation, BODY, event_id="evt-1").status_code == 200
    assert drop_connections(database_url) >= 1  # the pooled one, used a moment ago
    response = signed_post(client, installation, BODY, event_id="evt-2")
    assert response.status_code == 200, response.get_json()
    assert stored(database_url, "evt-2")


def test_a_connection_idle_past_the_bound_is_pinged_and_replaced(services, database_url,
                                                               monkeypatch):
    monkeypatch.setattr(connector_db, "PG_PING_AFTER_IDLE_SECONDS", 0.05)
    with services.db.session() as session:
        session.execute(select(WebhookDelivery.id)).all()
    assert drop_connections(database_url) >= 1
    time.sleep(0.1)
    with services.db.session() as session:  # no retry here: the ping found it dead
        assert session.execute(text("SELECT 1")).scalar() == 1


def test_a_duplicate_comes_out_as_sqlalchemys_integrity_error_without_the_rows_values(
        client, services, database_url):
    installation = make_installation(services, trigger_stages=["Assessment"])
    assert signed_post(client, installation, BODY, event_id="evt-twice").status_code == 200
    again = signed_post(client, installation, BODY, event_id="evt-twice")
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}

    with services.db.session() as session:
        sealed = session.scalar(select(Installation.webhook_secret_encrypted)
                                .where(Installation.id == installation["id"]))
    values = {"installation_id": installation["id"], "delivery_key": "greenhouse:evt-twice",
              "action": "candidate_stage_change", "event": None, "body": "Ada Lovelace",
              "headers": None, "status": "received", "outcome": None, "attempts": 0,
              "received_at": utcnow(), "sealed": sealed}
    with pytest.raises(IntegrityError) as refused:
        services.db.execute_now(views._INSERT, values)
    assert "Ada Lovelace" not in str(refused.value)
    assert services.db.execute_now(views._INSERT, {**values, "delivery_key": "k-3"}) > 0


def test_a_forked_process_writes_on_a_connection_of_its_own(client, services, database_url):
    installation = make_installation(services, trigger_stages=["Assessment"])
    assert signed_post(client, installation, BODY, event_id="evt-parent-1").status_code == 200
    parent_backend = services.db._kept_connection().info.backend_pid
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # a socket shared with the parent would garble both sides' replies
        ok = signed_post(client, installation, BODY, event_id="evt-child").status_code == 200
        os.write(writer, str(services.db._kept_connection().info.backend_pid if ok else 0)
                 .encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    child_backend = int(os.read(reader, 32) or 0)
    os.close(reader)
    assert child_backend not in (0, parent_backend)
    assert signed_post(client, installation, BODY, event_id="evt-parent-2").status_code == 200
    assert services.db._kept_connection().info.backend_pid == parent_backend
    assert all(stored(database_url, key) for key in ("evt-parent-1", "evt-child", "evt-parent-2"))


def test_a_database_that_cannot_be_reached_comes_out_as_sqlalchemys_operational_error():
    gone = Database(PG_ADMIN_URL.rsplit(":", 1)[0] + f":{free_port()}/gone")
    with pytest.raises(OperationalError):  # which the app answers 503 (connector.errors)
        gone.execute_now(views._INSERT, {"installation_id": 1})
