"""`connector serve` as a newcomer runs it: the sandbox is seeded, and a move on the board goes
round through gunicorn (a job's webhook to its own server) to an e-mail and a note."""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests import serving



@pytest.fixture
def served(tmp_path):
    """Nothing set but a data directory and a port: PUBLIC_BASE_URL follows the port."""
    with serving.served(tmp_path) as (base, log_path):
        yield base, log_path


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
