"""The services a command works with, built from the environment; bad settings stop it."""

from __future__ import annotations

import click

from config import SettingsError, load_settings
from config.logging import configure_logging
from connector.services import Services, install
from connector.wiring import build_services


def command_services(synchronous_jobs: bool = False) -> Services:
    """Build and install this process's services, or exit saying which settings are wrong."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException("refusing to start:\n  " + "\n  ".join(exc.problems)) from exc
    configure_logging(settings.log_level)
    return install(build_services(settings, synchronous_jobs=synchronous_jobs))
