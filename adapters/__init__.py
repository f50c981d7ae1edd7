"""The ATS adapters, listed explicitly: add a new one here and nowhere else."""

from __future__ import annotations

from adapters.base import Adapter
from adapters.greenhouse import GreenhouseAdapter
from adapters.sandbox import SandboxAdapter

ADAPTERS: list[type[Adapter]] = [
    GreenhouseAdapter,
    SandboxAdapter,
]

_BY_KEY = {adapter.key: adapter for adapter in ADAPTERS}


def get_adapter(key: str) -> type[Adapter] | None:
    """The adapter class registered under `key`, or None."""
    return _BY_KEY.get(key)
