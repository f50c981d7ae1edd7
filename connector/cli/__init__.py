"""The `connector` command, gathered from one module per group of subcommands."""

from __future__ import annotations

import click

from connector.cli import (
    access, candidates, installations, keys, privacy, processes, pushes, sessions, tokens,
)
from connector.sandbox.cli import sandbox


@click.group()
def main() -> None:
    """Connect an ATS to async video interviews."""


for command in (processes.serve, processes.worker, processes.db, installations.install_command,
                installations.installations, sessions.sessions, candidates.candidates,
                pushes.pushes, tokens.tokens, keys.keys, privacy.privacy, sandbox):
    main.add_command(command)
access.register_commands(main, sessions.sessions)
