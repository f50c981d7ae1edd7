"""Alembic environment: runs against the engine the caller passes in `config.attributes`."""

from alembic import context

from connector.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Migrate over the connection handed in by connector.migrate."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
