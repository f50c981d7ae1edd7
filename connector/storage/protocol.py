"""What every recording store offers, and the key check and streaming digest they share."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

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
    def keys(self, prefix: str) -> list[str]: ...
    def delete_prefix(self, prefix: str) -> int: ...


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
