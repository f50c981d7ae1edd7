"""`connector serve` run for real, as a newcomer starts it, for the tests that need gunicorn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import requests

from tests.conftest import free_port

CONNECTOR = [sys.executable, "-m", "connector.cli"]
# What a newcomer's shell does not have: the service must choose it all itself.
CLEARED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEYS", "SMTP_URL", "PUBLIC_BASE_URL",
           "CONNECTOR_ENV", "SANDBOX", "ALLOW_PRIVATE_ATS_HOSTS")
START_SECONDS = 60  # migrating and booting two workers on a busy machine


def newcomer_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This environment without any of the service's settings, and a data directory."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    return env | {"CONNECTOR_DATA_DIR": str(data_dir), **extra}


# Where a user's files would go: a server under test gets its own, to show it writes none there.
HOMES = {"HOME": "home", "XDG_RUNTIME_DIR": "run"}


def own_homes(root: Path) -> dict[str, str]:
    """Empty home and runtime directories under root, as environment entries."""
    for folder in HOMES.values():
        (root / folder).mkdir()
    return {name: str(root / folder) for name, folder in HOMES.items()}


def left_in_homes(env: dict[str, str]) -> list[Path]:
    """What a server run with `env` left in the directories own_homes gave it."""
    return [path for name in HOMES for path in Path(env[name]).rglob("*")]


def healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def serving(command, env: dict, log_path: Path, base: str, shell: bool = False) -> Iterator:
    """Run the command until /healthz answers; stop it on leaving; its output goes to log_path."""
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, shell=shell, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + START_SECONDS
            while not healthy(base):
                assert process.poll() is None and time.monotonic() < deadline, \
                    log_path.read_text()[-3000:]
                time.sleep(0.2)
            yield
        finally:  # the whole session: a shell that did not exec its command would leave it
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


@contextmanager
def served(tmp_path: Path, *args: str, **extra: str) -> Iterator[tuple[str, Path]]:
    """`connector serve` on a free port with nothing set but a data directory: (base, log)."""
    port = free_port()
    base, log_path = f"http://127.0.0.1:{port}", tmp_path / "serve.log"
    with serving([*CONNECTOR, "serve", "--port", str(port), *args],
                 newcomer_env(tmp_path, **extra), log_path, base):
        yield base, log_path
