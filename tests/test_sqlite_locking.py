"""SQLite as the embedded default: writers queue for the lock instead of failing, and a thread
that would wait on its own lock is told at once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from connector.db import Database, NestedTransaction


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/lock.db")
    with database.session() as session:
        session.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        session.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield database
    database.dispose()


def test_read_then_write_transactions_in_many_threads_all_succeed(db):
    errors = []

    def add_one_hundred_times():
        for _ in range(100):
            try:
                with db.session() as session:  # read, then write what was read
                    n = session.execute(text("SELECT n FROM counter")).scalar_one()
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
            except Exception as exc:  # a deferred BEGIN fails here with "database is locked"
                errors.append(repr(exc))

    threads = [threading.Thread(target=add_one_hundred_times) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.session() as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 400


def test_a_second_transaction_in_one_thread_is_refused_at_once(db):
    with db.session() as outer:
        outer.execute(text("SELECT n FROM counter"))
        started = time.monotonic()
        with pytest.raises(NestedTransaction):
            with db.session() as inner:
                inner.execute(text("SELECT n FROM counter"))
        assert time.monotonic() - started < 1  # not after the 20 s busy timeout
    with db.session() as after:  # one after the other is fine
        assert after.execute(text("SELECT n FROM counter")).scalar_one() == 0


def test_the_database_file_is_readable_by_its_owner_alone(db, tmp_path):
    assert (tmp_path / "lock.db").stat().st_mode & 0o777 == 0o600
