"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from connector.db import PG_STATEMENT_TIMEOUT_SECONDS, make_engine
from connector.models import Base, InterviewTemplate


def test_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_the_builtin_template_is_seeded(services):
    with services.db.session() as session:
        (template,) = session.scalars(select(InterviewTemplate)).all()
        questions = sorted(template.questions, key=lambda q: q.position)
        assert template.is_builtin and template.deadline_hours == 72
        assert [q.is_practice for q in questions] == [True, False, False, False]
        assert {(q.prep_seconds, q.answer_seconds, q.retakes) for q in questions} == {(30, 120, 1)}


def test_migrations_run_without_the_limits_web_requests_have(pg_database_url):
    bounded = make_engine(pg_database_url)
    unbounded = make_engine(pg_database_url, bounded=False)
    try:
        with bounded.connect() as connection:
            shown = connection.execute(text("SHOW statement_timeout")).scalar_one()
            assert shown == f"{PG_STATEMENT_TIMEOUT_SECONDS}s"
        with unbounded.connect() as connection:  # what connector.migrate.upgrade uses
            assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "0"
            connection.execute(text("SELECT pg_sleep(13)"))  # past the client's 12 s wait too
    finally:
        bounded.dispose()
        unbounded.dispose()
