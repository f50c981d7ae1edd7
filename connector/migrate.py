"""Alembic, driven from code: `connector db upgrade` and the test fixtures call these."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from connector.db import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to `revision`, without the time limits web requests have."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
        return
    unbounded = make_engine(engine.url.render_as_string(hide_password=False), bounded=False)
    try:
        with unbounded.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        unbounded.dispose()


def revision(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    with engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
