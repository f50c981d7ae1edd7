"""Recording storage behind one interface: a directory (file://) or S3-compatible (s3://).

Every method streams in fixed-size blocks, so memory stays bounded whatever the file's size.
Keys are built by the server alone (never from a client-supplied name) and checked here again.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

BLOCK = 256 * 1024
_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


class TooLarge(Exception):
    """The stream ran past the byte limit; nothing was kept."""


@dataclass(frozen=True)
class Written:
    size: int
    sha256: str
    head: bytes  # the first bytes, to check the container's magic number


class Storage(Protocol):
    def write(self, key: str, stream: BinaryIO, max_bytes: int) -> Written: ...
    def compose(self, keys: list[str], dest: str) -> Written: ...
    def read(self, key: str) -> Iterator[bytes]: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, keys: Iterable[str]) -> None: ...


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"invalid storage key {key!r}")
    return key


class Digest:
    """Size, SHA-256 and head of bytes as they stream past."""

    def __init__(self, max_bytes: int | None = None):
        self.max_bytes = max_bytes
        self.size = 0
        self.hash = hashlib.sha256()
        self.head = b""

    def update(self, block: bytes) -> None:
        self.size += len(block)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise TooLarge(f"over {self.max_bytes} bytes")
        if len(self.head) < 64:
            self.head += block[:64 - len(self.head)]
        self.hash.update(block)

    def written(self) -> Written:
        return Written(self.size, self.hash.hexdigest(), self.head)


def blocks(stream: BinaryIO) -> Iterator[bytes]:
    while block := stream.read(BLOCK):
        yield block


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


def storage_for(url: str, s3_options: dict | None = None) -> Storage:
    """The storage a RECORDINGS_URL names: file:///path or s3://bucket/prefix."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileStorage(unquote(parts.path))
    if parts.scheme == "s3":
        from connector.s3storage import S3Storage

        return S3Storage(parts.netloc, parts.path.strip("/"), **(s3_options or {}))
    raise ValueError(f"unsupported RECORDINGS_URL scheme {parts.scheme!r}")
