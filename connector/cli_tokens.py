"""`connector tokens create|list|revoke`: bearer tokens for the JSON API."""

from __future__ import annotations

import click


@click.group()
def tokens() -> None:
    """Bearer tokens for /api/v1."""
