"""`connector serve` as a newcomer runs it: the sandbox is seeded, and a move on the board goes
round through gunicorn (a job's webhook to its own server) to an e-mail and a note."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import free_port

CONNECTOR = [sys.executable, "-m", "connector.cli"]


@pytest.fixture
def served(tmp_path):
    """Nothing set but a data directory and a port: PUBLIC_BASE_URL follows the port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in (
        "DATABASE_URL", "REDIS_URL", "SECRET_KEYS", "SMTP_URL", "PUBLIC_BASE_URL", "SANDBOX",
        "CONNECTOR_ENV")}
    env["CONNECTOR_DATA_DIR"] = str(tmp_path)
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([*CONNECTOR, "serve", "--port", str(port)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        yield base, log_path
        process.terminate()
        process.wait(timeout=20)


def wait_for(fetch, pattern: str, seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    while True:
        text = fetch()
        if re.search(pattern, text):
            return text
        assert time.monotonic() < deadline, text[-2000:]
        time.sleep(0.3)


def test_serve_seeds_the_sandbox_and_a_move_goes_all_the_way_round(served):
    base, log_path = served
    printed = log_path.read_text()
    assert f"Sandbox ATS: {base}/sandbox" in printed
    assert re.search(r"Sandbox admin: sandbox-admin@example\.com / \S{12,}", printed)

    browser = requests.Session()
    board = browser.get(f"{base}/sandbox", timeout=5).text
    card_id = re.search(r'id="card-(\d+)"[^>]*>\s*<a class="name"[^>]*>Ada Okafor', board)[1]
    token = re.search(r'name="csrf_token" value="([^"]+)"', board)[1]
    moved = browser.post(f"{base}/sandbox/cards/{card_id}/move", timeout=10,
                         data={"csrf_token": token, "column": "async_screen"})
    assert moved.status_code == 200 and "Moved Ada to Async screen." in moved.text

    wait_for(lambda: browser.get(f"{base}/sandbox/mailbox", timeout=5).text,
             r"Your video interview with Sandbox for Backend engineer")
    wait_for(lambda: browser.get(f"{base}/sandbox/cards/{card_id}", timeout=5).text,
             r"was invited to the async video interview")
