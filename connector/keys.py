"""Key rotation: re-encrypt every secret at rest under the first of SECRET_KEYS.

The procedure: put a new key first in SECRET_KEYS, keeping the old one after it ("NEW,OLD"),
and deploy it to every process; they now encrypt under NEW and still read OLD. Then run
`connector keys rotate`; when it reports nothing unreadable, OLD can leave SECRET_KEYS.

Every column named `*_encrypted` holds a Fernet token. Rows are read in batches by id, each
batch in its own short transaction, and a value is only written back if it is still the one
that was read, so a row the service changed meanwhile is left alone (and already holds a value
under the new key). Running it again rewrites nothing that is already current.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from sqlalchemy import Table, select, update

from connector import models  # noqa: F401  (every table known)
from connector.crypto import InvalidToken, Keyring
from connector.db import Database

log = logging.getLogger("connector.keys")

BATCH_SIZE = 500
ENCRYPTED_SUFFIX = "_encrypted"
# jobs.pushes.SealedTokens keeps ATS tokens under this prefix, named by an HMAC under the first
# key: a new first key looks under new names, so entries under the old ones are only dropped.
TOKEN_CACHE_PATTERN = "connector:ats-token:*"


@dataclass
class TableCount:
    """What rotation found in one table."""

    table: str
    rows: int = 0  # rows read
    rotated: int = 0  # values re-encrypted under the first key (or, on a dry run, to be)
    current: int = 0  # values the first key already opens
    unreadable: int = 0  # values no key opens: the old key must stay until they are dealt with
    changed: int = 0  # rows the service rewrote between read and write; left as they were

    def as_dict(self) -> dict:
        return asdict(self)


def encrypted_columns() -> dict[Table, list[str]]:
    """Every table with encrypted columns, and those columns' names."""
    found: dict[Table, list[str]] = {}
    for table in models.Base.metadata.sorted_tables:
        names = [c.name for c in table.columns if c.name.endswith(ENCRYPTED_SUFFIX)]
        if names:
            found[table] = names
    return found


def rotate_database(db: Database, keyring: Keyring, dry_run: bool = False,
                    batch_size: int = BATCH_SIZE) -> list[TableCount]:
    """Re-encrypt every encrypted column under the first key; counts per table."""
    return [_rotate_table(db, keyring, table, names, dry_run, batch_size)
            for table, names in encrypted_columns().items()]


def _rotate_table(db: Database, keyring: Keyring, table: Table, names: list[str],
                  dry_run: bool, batch_size: int) -> TableCount:
    count, last_id = TableCount(table.name), 0
    query = select(table.c.id, *(table.c[n] for n in names)).order_by(table.c.id).limit(batch_size)
    while True:
        # Read, then write in a transaction of its own: no read snapshot is held while writing,
        # so SQLite never has to upgrade a stale one, and each write checks the value itself.
        with db.engine.connect() as connection:
            rows = connection.execute(query.where(table.c.id > last_id)).mappings().all()
        changed = [(row, changes) for row in rows
                   if (changes := _rotated_values(keyring, row, names, count))]
        if dry_run:
            count.rotated += sum(len(changes) for _, changes in changed)
        elif changed:
            with db.engine.begin() as connection:
                for row, changes in changed:
                    _write_if_unchanged(connection, table, row, changes, count)
        if len(rows) < batch_size:
            return count
        last_id = rows[-1]["id"]


def _rotated_values(keyring: Keyring, row, names: list[str], count: TableCount) -> dict[str, str]:
    """The row's values that need the first key, re-encrypted under it."""
    count.rows += 1
    changes = {}
    for name in names:
        value = row[name]
        if value is None:
            continue
        if keyring.is_current(value):
            count.current += 1
            continue
        try:
            changes[name] = keyring.rotate(value)
        except InvalidToken:
            count.unreadable += 1
            log.warning("keys.unreadable table=%s column=%s id=%s", count.table, name, row["id"])
    return changes


def _write_if_unchanged(connection, table: Table, row, changes: dict[str, str],
                        count: TableCount) -> None:
    """Write the new values only over the old ones: never over what the service wrote since."""
    unchanged = [table.c[name] == row[name] for name in changes]
    result = connection.execute(
        update(table).where(table.c.id == row["id"], *unchanged).values(changes))
    if result.rowcount == 1:
        count.rotated += len(changes)
    else:
        count.changed += 1


def drop_cached_tokens(redis_url: str | None, dry_run: bool = False) -> int | None:
    """Drop the ATS tokens cached in Redis (the next push fetches a new one); None without Redis.

    Without Redis each process caches tokens in its own memory, and they go with it.
    """
    if not redis_url:
        return None
    from redis import Redis

    connection = Redis.from_url(redis_url)
    try:
        names = list(connection.scan_iter(match=TOKEN_CACHE_PATTERN, count=BATCH_SIZE))
        if not dry_run:
            for start in range(0, len(names), BATCH_SIZE):
                connection.unlink(*names[start:start + BATCH_SIZE])
        return len(names)
    finally:
        connection.close()
