"""Where a person's data still is: every text and JSON column, and every stored file."""

from __future__ import annotations

import json
import re

from sqlalchemy import JSON, String, Text, select

from connector import models

# The sandbox board is the built-in stand-in for an ATS: its cards are the ATS's own record of
# the candidate, which the ATS erases, not the connector.
NOT_OURS = {"sandbox_cards", "sandbox_notes"}


def rows_holding(services, needles: list[str]) -> list[str]:
    """table.column:id for each value that holds one of the needles (case-insensitive).

    A needle counts as a whole word only: a short one ("Ada") is found in the name it is, not
    inside a token hash or a public id that happens to spell it.
    """
    wanted = re.compile("|".join(rf"(?<![a-z0-9]){re.escape(n.lower())}(?![a-z0-9])"
                                 for n in needles if n))
    found = []
    with services.db.session() as session:
        for table in models.Base.metadata.sorted_tables:
            if table.name in NOT_OURS:
                continue
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in session.execute(select(*table.primary_key.columns, *columns)):
                key, values = row[0], row[len(table.primary_key.columns):]
                for column, value in zip(columns, values):
                    text = json.dumps(value) if not isinstance(value, str) else value
                    if value is not None and wanted.search(text.lower()):
                        found.append(f"{table.name}.{column.name}:{key}")
    return found


def files_holding(storage, needles: list[str], prefix: str = "") -> list[str]:
    """Stored keys whose name or bytes contain a needle."""
    keys = _all_keys(storage, prefix)
    wanted = [n.encode() for n in needles if n]
    return [key for key in keys if any(n in key.encode() for n in wanted)
            or any(n in b"".join(storage.read(key)) for n in wanted)]


def _all_keys(storage, prefix: str) -> list[str]:
    if prefix:
        return storage.keys(prefix)
    root = getattr(storage, "root", None)
    if root is not None:  # a directory: every file under it
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) \
            if root.exists() else []
    pages = storage.client.get_paginator("list_objects_v2").paginate(
        Bucket=storage.bucket, Prefix=storage.prefix + "/")
    own = len(storage.prefix) + 1
    return sorted(o["Key"][own:] for page in pages for o in page.get("Contents", ()))
