"""Secrets at rest (MultiFernet), candidate link tokens, and public identifiers."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from config import Settings

TOKEN_BYTES = 32  # 256 bits in every candidate link


class Keyring:
    """Encrypts with the first key and decrypts with any, so keys can be rotated."""

    def __init__(self, keys: tuple[str, ...] | list[str]):
        if not keys:
            raise ValueError("at least one key is required")
        fernets = [Fernet(k) for k in keys]
        self._fernet = MultiFernet(fernets)
        self._current = fernets[0]
        self._primary = keys[0].encode()
        self._older = tuple(keys[1:])

    def derive(self, label: str) -> str:
        """A stable secret for one purpose, derived from the first key."""
        return hmac.new(self._primary, label.encode(), hashlib.sha256).hexdigest()

    def derive_older(self, label: str) -> list[str]:
        """The same secret derived from each later key: still accepted while keys rotate."""
        return [hmac.new(k.encode(), label.encode(), hashlib.sha256).hexdigest()
                for k in self._older]

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def encrypt_json(self, value: dict) -> str:
        return self.encrypt(json.dumps(value, sort_keys=True))

    def decrypt_json(self, token: str) -> dict:
        return json.loads(self.decrypt(token))

    def rotate(self, token: str) -> str:
        """Re-encrypt a value under the first key."""
        return self._fernet.rotate(token.encode()).decode()

    def is_current(self, token: str) -> bool:
        """Whether the first key already opens this value (Fernet tokens name no key: try it)."""
        try:
            self._current.decrypt(token.encode())
        except InvalidToken:
            return False
        return True


def keyring_for(settings: Settings) -> Keyring:
    """The keyring from SECRET_KEYS; outside production a local key file stands in."""
    if settings.secret_keys:
        return Keyring(settings.secret_keys)
    if settings.production:  # load_settings already refuses this; never fall back silently
        raise ValueError("SECRET_KEYS is required in production")
    return Keyring([_local_key(settings.data_dir / "secret.key")])


def _local_key(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(Fernet.generate_key().decode())
    return path.read_text().strip()


def new_token() -> str:
    """A URL-safe secret for a candidate link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a link token: looked up by hash, never stored in clear."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_public_id(prefix: str) -> str:
    """An opaque identifier that is safe to show in URLs and to the ATS."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"


__all__ = ["InvalidToken", "Keyring", "hash_token", "keyring_for", "new_public_id", "new_token"]
