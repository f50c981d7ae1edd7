"""`connector keys rotate`: re-encrypt every secret under the first of SECRET_KEYS."""

from __future__ import annotations

import click


@click.group()
def keys() -> None:
    """The keys that encrypt secrets at rest."""
