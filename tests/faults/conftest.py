"""One stack for every fault test in this package: starting it costs seconds, each fault less."""

from __future__ import annotations

import os
from contextlib import ExitStack

import pytest

from tests import conftest as shared
from tests.faults.stack import running


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: kills, outages and a hung database, end to end")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="package")
def stack(pg_template, tmp_path_factory):
    """gunicorn and POOL workers on PostgreSQL (through a pausable proxy), Redis, SMTP, an ATS."""
    with ExitStack() as cleanup:  # whatever started is stopped, even if a later part fails
        database_url = _database(cleanup, pg_template)
        yield cleanup.enter_context(running(database_url, tmp_path_factory.mktemp("faults")))


def _database(cleanup: ExitStack, template: str) -> str:
    """A migrated PostgreSQL database of the package's own, dropped at the end."""
    name = f"connector_faults_{os.getpid()}"
    shared._drop_pg(name)
    shared._pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    cleanup.callback(shared._drop_pg, name)
    return shared._pg_url(name)
