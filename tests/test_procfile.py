"""The Procfile runs every process in production mode, and its web process, run here for real
on PostgreSQL and Redis, logs no personal link, keeps cookies Secure and serves no sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from tests.conftest import free_port
from tests.serving import CLEARED, left_in_homes, own_homes, serving
from tests.test_logging_access import assert_masked, visit_personal_links

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"


def processes() -> dict[str, str]:
    """{process type: command}, as a Procfile runner reads them."""
    lines = [line.partition(":") for line in PROCFILE.read_text().splitlines() if line.strip()]
    return {name.strip(): command.strip() for name, _, command in lines}


def clean_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def test_release_web_and_worker_each_run_in_production_mode(tmp_path):
    for program in ("connector", "gunicorn"):  # stand-ins that print the mode they were given
        stand_in = tmp_path / program
        stand_in.write_text('#!/bin/sh\necho "$CONNECTOR_ENV"\n')
        stand_in.chmod(0o755)
    env = clean_env(PORT="5000", PATH=f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert set(processes()) == {"release", "web", "worker"}
    for name, command in processes().items():
        ran = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True)
        assert (name, ran.stdout.strip()) == (name, "production")


def test_the_web_process_uses_the_redacting_logger():
    assert "--logger-class config.gunicorn.Logger" in processes()["web"]


@pytest.fixture
def production_env(pg_database_url, redis_url, tmp_path):
    return clean_env(
        PORT=str(free_port()), WEB_CONCURRENCY="1", DATABASE_URL=pg_database_url,
        REDIS_URL=redis_url, SECRET_KEYS=Fernet.generate_key().decode(),
        PUBLIC_BASE_URL="https://interviews.example.com", SMTP_URL="smtp://127.0.0.1:2525",
        MAIL_FROM="Interviews <interviews@example.com>",
        RECORDINGS_URL=f"file://{tmp_path / 'recordings'}")


def test_the_web_process_opens_no_control_socket(production_env, tmp_path):
    base = f"http://127.0.0.1:{production_env['PORT']}"
    command = processes()["web"].replace("0.0.0.0:", "127.0.0.1:")
    env = production_env | own_homes(tmp_path)
    with serving(command, env, tmp_path / "web.log", base, shell=True):
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
        assert left_in_homes(env) == []


def test_the_web_process_masks_links_and_runs_as_production(production_env, tmp_path):
    base = f"http://127.0.0.1:{production_env['PORT']}"
    command = processes()["web"].replace("0.0.0.0:", "127.0.0.1:")  # loopback only, in a test
    log_path = tmp_path / "web.log"
    with serving(command, production_env, log_path, base, shell=True):
        tokens = visit_personal_links(base)
        assert requests.get(f"{base}/sandbox", timeout=10).status_code == 404
        cookie = requests.get(f"{base}/login", timeout=10).headers.get("Set-Cookie", "")
        time.sleep(0.5)  # the access log is written after each response
    assert "; Secure" in cookie
    assert_masked(log_path.read_text(), tokens)
