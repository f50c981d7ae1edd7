"""One stack for every fault test in this package: starting it costs seconds, each fault less."""

from __future__ import annotations

import os
from contextlib import ExitStack

import pytest
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet

from config import Settings
from connector.installations import create_installation
from connector.services import build_services, install
from tests import conftest as shared
from tests.faults.ats import ScriptedGreenhouse
from tests.faults.processes import RedisServer, Workers, start_gunicorn, stop
from tests.faults.proxy import PausableProxy
from tests.faults.stack import Stack

POOL = 3  # workers: one per kind of kill, and one always left to recover


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: kills, outages and a hung database, end to end")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="package")
def stack(pg_template, tmp_path_factory):
    """gunicorn and POOL workers on PostgreSQL (through a pausable proxy), Redis, SMTP, an ATS."""
    directory = tmp_path_factory.mktemp("faults")
    with ExitStack() as cleanup:  # whatever started is stopped, even if a later part fails
        database_url = _database(cleanup, pg_template)
        redis = RedisServer(directory).start()
        cleanup.callback(redis.stop)
        proxy = PausableProxy(5432).start()
        cleanup.callback(proxy.close)
        ats = ScriptedGreenhouse().start()
        cleanup.callback(ats.stop)
        cleanup.callback(ats.release)  # before it stops: a held answer ends first
        smtp = _smtp()
        cleanup.callback(smtp.stop)
        secret = Fernet.generate_key().decode()
        services = install(build_services(Settings(
            env="test", database_url=database_url, redis_url=redis.url, smtp_url=smtp.url,
            secret_keys=(secret,), data_dir=directory, public_base_url="https://connector.test",
            allow_private_ats_hosts=True)))
        cleanup.callback(services.close)
        env = dict(os.environ, DATABASE_URL=proxy.url_for(database_url), REDIS_URL=redis.url,
                   SMTP_URL=smtp.url, SECRET_KEYS=secret, CONNECTOR_DATA_DIR=str(directory),
                   PUBLIC_BASE_URL="https://connector.test", CONNECTOR_ENV="test",
                   LOG_LEVEL="INFO", ALLOW_PRIVATE_ATS_HOSTS="on")
        workers = Workers(env, directory)
        cleanup.callback(workers.stop)
        workers.start(POOL)
        web, web_url = start_gunicorn(env, directory / "web.log")
        cleanup.callback(stop, web)
        yield Stack(services, redis, proxy, ats, smtp, workers, web_url,
                    _installation(services, ats))


def _database(cleanup: ExitStack, template: str) -> str:
    """A migrated PostgreSQL database of the package's own, dropped at the end."""
    name = f"connector_faults_{os.getpid()}"
    shared._drop_pg(name)
    shared._pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    cleanup.callback(shared._drop_pg, name)
    return shared._pg_url(name)


def _smtp() -> Controller:
    inbox = shared._Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=shared.free_port())
    controller.start()
    controller.inbox, controller.url = inbox, f"smtp://127.0.0.1:{controller.port}"
    return controller


def _installation(services, ats: ScriptedGreenhouse) -> dict:
    with services.db.session() as session:
        installation, secret = create_installation(
            session, services.keyring, ats="greenhouse", organization="Faults",
            name="Faults Greenhouse", trigger_stages=["Assessment"], template_id=None,
            api_base_url=ats.url, credentials=ats.credentials, strict_hosts=False)
        return {"id": installation.id, "public_id": installation.public_id, "secret": secret,
                "path": f"/webhooks/greenhouse/{installation.public_id}"}
