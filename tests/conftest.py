"""Shared fixtures: a migrated database per test on SQLite and on PostgreSQL, the app, fakes.

With CI=true a service the tests need (PostgreSQL, Redis) must be reachable: its tests fail
instead of being skipped.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
import responses
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, select, text

from adapters.greenhouse.adapter import GreenhouseAdapter
from adapters.hosts import allow_private_addresses
from config import Settings
from connector import migrate, models
from connector.installations import create_installation
from connector.services import install
from connector.wiring import build_services
from tests.fakes.greenhouse import CREDENTIALS, FakeGreenhouse

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _own_redis_database(url: str) -> str:
    """The Redis database this test process may empty: xdist's gw0 the one named, gw1 below."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    parts = urlsplit(url)
    number = int(parts.path.lstrip("/") or 0) - int(worker.removeprefix("gw"))
    assert number >= 0, f"no Redis database left below {url} for test process {worker}"
    return parts._replace(path=f"/{number}").geturl()


REDIS_URL = _own_redis_database(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
FIXTURES = Path(__file__).parent / "adapters"
IN_CI = os.environ.get("CI", "").lower() == "true"
BUCKET = "recordings"
_counter = itertools.count()


def need(service: str, reachable: bool) -> None:
    """Skip a test whose service is down, except in CI, where that is a failure."""
    if reachable:
        return
    if IN_CI:
        pytest.fail(f"{service} is not reachable, and CI=true allows no skipped service test")
    pytest.skip(f"{service} is not reachable")


def _port_open(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def _pg_admin(statement: str) -> None:
    engine = create_engine(_pg_url("postgres").replace("postgresql://", "postgresql+psycopg://"),
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def _drop_pg(database: str) -> None:
    _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template():
    """One migrated PostgreSQL database, cloned (CREATE DATABASE ... TEMPLATE) for each test."""
    need("PostgreSQL", _port_open(PG_ADMIN_URL, 5432))
    name = f"connector_template_{os.getpid()}"
    _drop_pg(name)
    _pg_admin(f'CREATE DATABASE "{name}"')
    engine = create_engine(_pg_url(name).replace("postgresql://", "postgresql+psycopg://"))
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    _drop_pg(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, sqlite_template):
    """A fresh, migrated database for one test, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "connector.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"connector_test_{os.getpid()}_{next(_counter)}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _pg_url(name)
    _drop_pg(name)


S3_SERVER = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # serve until the test session closes this pipe
server.stop()
"""


@pytest.fixture(scope="session")
def s3_options():
    """Client options for a moto S3 server with an empty bucket, for the whole session."""
    server = subprocess.Popen([sys.executable, "-c", S3_SERVER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(server.stdout.readline())
        options = {"endpoint_url": f"http://127.0.0.1:{port}", "region_name": "us-east-1",
                   "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        boto3.session.Session().client("s3", **options).create_bucket(Bucket=BUCKET)
        yield options
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(autouse=True)
def private_ats_hosts():
    """Fake ATSs listen on loopback: tests allow it, as ALLOW_PRIVATE_ATS_HOSTS=on does."""
    allow_private_addresses(True)


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(env="test", database_url=database_url,
                    secret_keys=(Fernet.generate_key().decode(),),
                    public_base_url="https://connector.test", data_dir=tmp_path,
                    allow_private_ats_hosts=True)


@pytest.fixture
def services(settings):
    """Services whose jobs run inline, so a request's whole effect is visible when it returns."""
    built = install(build_services(settings, synchronous_jobs=True))
    yield built
    built.close()


@pytest.fixture
def app(services):
    from connector.app import create_app

    application = create_app(services=services)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def greenhouse():
    """Greenhouse's API, faked with responses; any other outbound HTTP call fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGreenhouse(mock)


@pytest.fixture
def installation(services):
    """A Greenhouse installation whose trigger stage is the documented example's "Assessment"."""
    return make_installation(services, trigger_stages=["Assessment"])


def make_installation(services, trigger_stages, organization="Acme", name="Acme Greenhouse",
                      credentials=None):
    with services.db.session() as session:
        inst, secret = create_installation(
            session, services.keyring, ats="greenhouse", organization=organization, name=name,
            trigger_stages=trigger_stages, template_id=None, api_base_url=None,
            credentials=dict(credentials or CREDENTIALS), strict_hosts=False)
        return {"id": inst.id, "public_id": inst.public_id, "secret": secret,
                "path": f"/webhooks/greenhouse/{inst.public_id}"}


def fixture_body(ats: str, name: str) -> bytes:
    return (FIXTURES / ats / "fixtures" / f"{name}.json").read_bytes()


def signed_post(client, installation, body: bytes, event_id: str | None = "evt-1", headers=None):
    """POST a body as Greenhouse would: signed with the installation's secret."""
    sent = GreenhouseAdapter.sign(body, installation["secret"])
    if event_id:
        sent["Greenhouse-Event-ID"] = event_id
    sent.update(headers or {})
    return client.post(installation["path"], data=body, headers=sent)


# Counts of requests, kept for throttling: every request may add one, refused or not.
NOT_DATA = {"rate_limit_hits"}


def row_counts(services) -> dict[str, int]:
    """How many rows each table holds: to show that a refused request wrote nothing."""
    with services.db.session() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in models.Base.metadata.sorted_tables if table.name not in NOT_DATA}


def edit_fixture(ats: str, name: str, change) -> bytes:
    data = json.loads(fixture_body(ats, name))
    change(data)
    return json.dumps(data).encode()


class _Inbox:
    """What a real SMTP server on loopback received, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """An aiosmtpd server on 127.0.0.1; `.url` is its SMTP_URL, `.inbox.messages` what it got."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.inbox = inbox
    controller.url = f"smtp://127.0.0.1:{controller.port}"
    yield controller
    controller.stop()


@pytest.fixture
def pg_database_url(pg_template):
    """A fresh, migrated PostgreSQL database (for tests that need PostgreSQL itself)."""
    name = f"connector_test_{os.getpid()}_{next(_counter)}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _pg_url(name)
    _drop_pg(name)


@pytest.fixture
def redis_url():
    """A Redis database of its own, emptied before and after the test."""
    from redis import Redis

    need("Redis", _port_open(REDIS_URL, 6379))
    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()
    connection.close()
