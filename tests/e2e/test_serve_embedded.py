"""`connector serve` on embedded defaults: SQLite, no Redis, jobs in the web process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from adapters.greenhouse.adapter import GreenhouseAdapter
from tests.conftest import fixture_body, free_port
from tests.serving import left_in_homes, own_homes

CONNECTOR = [sys.executable, "-m", "connector.cli"]


@pytest.fixture
def served(tmp_path):
    """The service as a newcomer starts it, with nothing set but a data directory and a port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEYS", "SMTP_URL")}
    env.update(CONNECTOR_DATA_DIR=str(tmp_path), PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
               ALLOW_PRIVATE_ATS_HOSTS="on",  # its installation's API is on loopback
               **own_homes(tmp_path))
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([*CONNECTOR, "serve", "--port", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                break
        except requests.RequestException:  # not listening yet, or a worker still booting
            time.sleep(0.2)
    else:
        raise AssertionError((tmp_path / "serve.log").read_text())
    yield base, env
    process.terminate()
    process.wait(timeout=20)
    log.close()


def test_a_stage_move_invites_with_nothing_but_python(served, tmp_path):
    base, env = served
    install = subprocess.run(
        [*CONNECTOR, "install", "greenhouse", "--organization", "Acme", "--name", "Main",
         "--trigger-stage", "assessment", "--credential", "client_id=c", "--credential",
         "client_secret=s", "--credential", "user_id=1", "--api-base-url", "http://127.0.0.1:9"],
        env=env, capture_output=True, text=True, check=True)
    printed = json.loads(install.stdout)
    body = fixture_body("greenhouse", "candidate_stage_change")
    headers = GreenhouseAdapter.sign(body, printed["webhook_secret"])
    response = requests.post(printed["webhook_url"], data=body, headers=headers, timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "accepted"

    def sessions():
        listed = subprocess.run([*CONNECTOR, "sessions", "list", "--json"], env=env,
                                capture_output=True, text=True, check=True)
        return json.loads(listed.stdout)

    deadline = time.monotonic() + 15
    while not sessions() and time.monotonic() < deadline:
        time.sleep(0.2)
    (session,) = sessions()
    assert (session["state"], session["candidate_email"]) == ("invited", "giuseppe.hurley@example.com")
    assert Path(tmp_path, "connector.db").exists() and Path(tmp_path, "secret.key").exists()


def test_serve_leaves_nothing_in_the_users_home(served):
    """gunicorn's control socket, on by default, would sit there (config/gunicorn.py)."""
    _base, env = served
    assert left_in_homes(env) == []
