"""Recording storage behind one interface: a directory (file://) or S3-compatible (s3://).

Every method streams in fixed-size blocks, so memory stays bounded whatever the file's size.
Keys are built by the server alone (never from a client-supplied name) and checked again.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from connector.storage.directory import FileStorage
from connector.storage.protocol import BLOCK, Digest, Storage, TooLarge, Written, blocks, check_key

__all__ = ["BLOCK", "Digest", "FileStorage", "Storage", "TooLarge", "Written", "blocks",
           "check_key", "storage_for"]


def storage_for(url: str, s3_options: dict | None = None) -> Storage:
    """The storage a RECORDINGS_URL names: file:///path or s3://bucket/prefix."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileStorage(unquote(parts.path))
    if parts.scheme == "s3":
        from connector.storage.s3 import S3Storage  # boto3 loads only when it is used

        return S3Storage(parts.netloc, parts.path.strip("/"), **(s3_options or {}))
    raise ValueError(f"unsupported RECORDINGS_URL scheme {parts.scheme!r}")
