"""Database engine and sessions: SQLAlchemy 2, the same code on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker


# Below gunicorn's 30 s worker timeout, so a request that waits its turn too long gets an
# answer instead of a killed worker.
SQLITE_BUSY_SECONDS = 20


def make_engine(url: str, bounded: bool = True) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and writers that queue for their turn.

    `bounded=False` lifts PostgreSQL's time limits, for migrations, which may run long.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            _private_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS},
                               hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not bounded:
        return create_engine(url, hide_parameters=True,
                             connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS})
    return _postgresql_engine(url)


# A database that is slow, locked or gone silent must not hold a web request up to gunicorn's
# 30 s worker timeout: every wait is bounded below it, and the request is answered 503
# (connector.errors). Worst case for one request: a pooled connection's check fails after
# PG_WAIT_SECONDS, then a new connection fails after PG_CONNECT_TIMEOUT_SECONDS: 17 s.
PG_CONNECT_TIMEOUT_SECONDS = 5
PG_STATEMENT_TIMEOUT_SECONDS = 10  # the server cancels a statement that runs longer
PG_LOCK_TIMEOUT_SECONDS = 5  # ... or that waits this long for another's lock
PG_WAIT_SECONDS = PG_STATEMENT_TIMEOUT_SECONDS + 2  # a server that answers nothing at all
PG_POOL_TIMEOUT_SECONDS = 5  # every pooled connection busy
# A pooled connection idle this long is pinged before use: a server restart, a proxy or a
# firewall may have dropped it meanwhile. One in steady use is not: the ping was a round trip
# per checkout. A connection that died since its last use fails its statement, which
# invalidates the pool, and the next checkout connects afresh.
PG_PING_AFTER_IDLE_SECONDS = 1.0


def _connect_args() -> dict:
    """What every PostgreSQL connection is opened with: bounded connecting and statements."""
    return {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS,
            "options": (f"-c statement_timeout={PG_STATEMENT_TIMEOUT_SECONDS * 1000} "
                        f"-c lock_timeout={PG_LOCK_TIMEOUT_SECONDS * 1000}")}


def _postgresql_engine(url: str) -> Engine:
    # hide_parameters: a database error's message would otherwise quote the row's values
    # (candidate names and e-mail addresses) into whatever logs it.
    engine = create_engine(url, pool_size=5, max_overflow=10,
                           pool_timeout=PG_POOL_TIMEOUT_SECONDS, hide_parameters=True,
                           connect_args=_connect_args())
    event.listen(engine, "do_connect", _connect_bounded)
    event.listen(engine, "checkin", _mark_idle)
    event.listen(engine, "checkout", lambda dbapi_connection, record, _proxy: _ping_if_idle(
        engine.dialect, dbapi_connection, record))
    return engine


def _mark_idle(_dbapi_connection, record) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect, dbapi_connection, record) -> None:
    """Ping a connection that sat idle; a failed ping makes the pool connect afresh."""
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PG_PING_AFTER_IDLE_SECONDS:
        return  # new, or in steady use
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as exc:
        raise DisconnectionError("the pooled connection did not answer its ping") from exc


def _connect_bounded(dialect, connection_record, cargs, cparams):
    return _BoundedConnection.connect(*cargs, **cparams)


class _BoundedConnection(psycopg.Connection):
    """A connection that waits for the server no longer than PG_WAIT_SECONDS."""

    # statement_timeout needs a server that runs: one that is stopped, or cut off by a
    # network that still holds the connection open, answers nothing, and psycopg would wait
    # for ever.

    def wait(self, gen, interval=0.1, timeout=None):
        try:
            return super().wait(gen, interval=interval, timeout=timeout or PG_WAIT_SECONDS)
        except psycopg.errors.OperationalError as exc:
            if type(exc).__name__ != "_WaitTimeout":
                raise
            self.pgconn.finish()  # a reply may yet arrive mid-stream: never use it again
            raise psycopg.OperationalError(
                f"no answer from the database in {timeout or PG_WAIT_SECONDS} s") from None


def _private_file(path: Path) -> None:
    """Create the database file readable by its owner alone: it holds candidates' data.

    SQLite gives its -wal and -shm files the main file's permissions.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)


class NestedTransaction(RuntimeError):
    """A thread began a second SQLite transaction while its first was open: it would wait for
    the lock it holds itself until the busy timeout."""


_open = threading.local()  # the SQLite connections this thread holds in a transaction


def _begin_immediate(connection) -> None:
    # A deferred BEGIN reads under a snapshot, and its first write then fails at once with
    # "database is locked" whenever another writer committed meanwhile: the busy timeout cannot
    # help, since waiting would not make the snapshot current. BEGIN IMMEDIATE takes the write
    # lock up front, so transactions take turns, waiting up to the busy timeout
    # (sqlite.org/lang_transaction.html, "Read transactions" and "BEGIN IMMEDIATE"). Every
    # transaction therefore stays short: no network or slow I/O inside one, and never two at
    # once in one thread, which is refused here at once rather than after the timeout.
    held = getattr(_open, "connections", None)
    if held is None:
        held = _open.connections = weakref.WeakSet()
    if any(other is not connection and not other.closed and other.in_transaction()
           for other in held):
        raise NestedTransaction("a second transaction in one thread would wait on its own lock")
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    held.add(connection)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite begins transactions late and on its own, which turns a SAVEPOINT issued first
    # into a transaction of its own that no outer rollback undoes; SQLAlchemy emits BEGIN
    # instead ("Serializable isolation / Savepoints / Transactional DDL" in its SQLite notes).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.close()


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._kept = threading.local()  # each thread's connection for execute_now
        self._compiled: dict = {}  # statement: (its SQL, bind processors, its own values)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def execute_now(self, statement, values: dict):
        """Run one statement, committed as it returns; its first column, or None.

        For the one-statement writes on a hot path: a webhook's INSERT, a job's claim and its
        "sent" mark. On PostgreSQL it goes straight to psycopg, on a connection this thread
        keeps outside the pool, in one round trip, where a session costs three (BEGIN, the
        statement, COMMIT) and the pool's checkout and check-in and SQLAlchemy's execution were
        the larger part of a webhook's cost (bench/webhook_ack.py). Values are bound by the
        statement's own column types, and errors come out as SQLAlchemy's (IntegrityError,
        OperationalError), parameters hidden. A connection the server dropped since its last
        use is replaced and the statement tried once more: had the lost one committed, an
        INSERT meets its row (IntegrityError) and a claim finds the row taken (None). SQLite
        keeps its transaction, which takes the write lock first.
        """
        if self.is_sqlite:
            with self.engine.begin() as connection:
                result = connection.execute(statement, values)
                return result.scalar() if result.returns_rows else None
        sql, processors, fixed = self._compiled.get(statement) or self._compile(statement)
        params = {**fixed, **{key: processors[key](value) if key in processors else value
                              for key, value in values.items()}}
        for last in (False, True):
            connection = None
            try:
                connection = self._kept_connection()
                cursor = connection.execute(sql, params)
                row = cursor.fetchone() if cursor.description else None
                return None if row is None else row[0]
            except psycopg.Error as exc:
                # A connection that cannot be made is not tried again: that would double the
                # wait on a database that is down.
                lost = connection is not None and (
                    connection.closed or self.engine.dialect.is_disconnect(exc, connection, None))
                if lost:
                    self._kept.connection = None
                if last or not lost:
                    raise DBAPIError.instance(sql, None, exc, psycopg.Error, hide_parameters=True,
                                              connection_invalidated=lost) from exc

    def _compile(self, statement) -> tuple[str, dict, dict]:
        dialect = self.engine.dialect
        compiled = statement.compile(dialect=dialect)
        names = compiled.bind_names  # bind: its name in the SQL (an anonymous one's too)
        processors = {names[bind]: processor for bind in names if (
            processor := bind.type.dialect_impl(dialect).bind_processor(dialect))}
        # The statement's own values (the 1 in "attempts + 1"), bound like the caller's.
        fixed = {name: processors[name](bind.value) if name in processors else bind.value
                 for bind, name in names.items() if not bind.required}
        self._compiled[statement] = str(compiled), processors, fixed
        return self._compiled[statement]

    def _kept_connection(self) -> psycopg.Connection:
        """This thread's connection for execute_now, autocommitting; anew after a fork."""
        held = getattr(self._kept, "connection", None)
        if held is None or self._kept.pid != os.getpid():  # a parent's is not ours to use
            url = self.engine.url.set(drivername="postgresql")
            held = _BoundedConnection.connect(url.render_as_string(hide_password=False),
                                              autocommit=True, **_connect_args())
            self._kept.connection, self._kept.pid = held, os.getpid()
        return held

    def dispose(self) -> None:
        held = getattr(self._kept, "connection", None)
        if held is not None and self._kept.pid == os.getpid():
            held.close()
        self._kept.connection = None
        self.engine.dispose()
