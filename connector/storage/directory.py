"""Recordings in a directory tree, each write landing in a temporary file renamed into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from connector.storage.protocol import Digest, Written, blocks, check_key


class FileStorage:
    """A directory tree; each write lands in a temporary file that is renamed into place."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def path(self, key: str) -> Path:
        """The file behind a key, for serving it with HTTP range requests."""
        return self._path(key)

    def write(self, key: str, stream: BinaryIO, max_bytes: int) -> Written:
        return self._write(key, blocks(stream), max_bytes)

    def compose(self, keys: list[str], dest: str) -> Written:
        return self._write(dest, (b for key in keys for b in self.read(key)), None)

    def _write(self, key: str, source: Iterable[bytes], max_bytes: int | None) -> Written:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = Digest(max_bytes)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                for block in source:
                    digest.update(block)
                    out.write(block)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return digest.written()

    def read(self, key: str) -> Iterator[bytes]:
        with self._path(key).open("rb") as f:
            yield from blocks(f)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str) -> list[str]:
        """Every key under prefix/, a write in progress included (its temporary file)."""
        top = self._path(prefix)
        if not top.is_dir():
            return []
        return sorted(str(path.relative_to(self.root)) for path in top.rglob("*")
                      if path.is_file())

    def delete_prefix(self, prefix: str) -> int:
        """Delete every key under prefix/, folders and all; returns how many went.

        A write in progress under it loses its temporary file and fails rather than land.
        """
        gone = self.keys(prefix)
        shutil.rmtree(self._path(prefix), ignore_errors=True)
        return len(gone)
