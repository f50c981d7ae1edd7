"""The registry: every ATS the connector speaks, listed explicitly. Adding one is one line here."""

from __future__ import annotations

from adapters import greenhouse, sandbox
from adapters.manifest import Manifest

ADAPTERS: list[Manifest] = [
    greenhouse.MANIFEST,
    sandbox.MANIFEST,
]


def get_adapter(key: str) -> Manifest | None:
    """The manifest registered under `key`, or None."""
    return next((manifest for manifest in ADAPTERS if manifest.key == key), None)
