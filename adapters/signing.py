"""HMAC helpers shared by adapters: computed over raw bytes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def hmac_sha256_hex(secret: str | bytes, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def same(expected: str, given: str) -> bool:
    """Constant-time comparison of two ASCII strings; anything else is a mismatch."""
    try:
        return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))
    except UnicodeEncodeError:
        return False


def new_secret() -> str:
    """A webhook secret for an ATS that takes any string: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)
