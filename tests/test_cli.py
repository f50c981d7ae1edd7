"""The `connector` command: db upgrade, install, sessions list."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from connector.cli import main
from tests.conftest import fixture_body, signed_post


@pytest.fixture
def env(settings):
    return {"DATABASE_URL": settings.database_url, "SECRET_KEYS": settings.secret_keys[0],
            "PUBLIC_BASE_URL": settings.public_base_url, "CONNECTOR_DATA_DIR": str(settings.data_dir),
            "REDIS_URL": "", "SMTP_URL": ""}


def run(env, *args):
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result


def test_db_upgrade_creates_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh.db"
    result = run({"DATABASE_URL": url, "CONNECTOR_DATA_DIR": str(tmp_path)}, "db", "upgrade")
    assert result.exit_code == 0, result.output
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"organizations", "installations", "interview_sessions", "webhook_deliveries",
            "pushes", "emails", "alembic_version"} <= tables
    assert run({"DATABASE_URL": url, "CONNECTOR_DATA_DIR": str(tmp_path)},
               "db", "upgrade").exit_code == 0  # idempotent


def test_install_prints_the_webhook_url_and_secret(env, services, client, greenhouse):
    result = run(env, "install", "greenhouse", "--organization", "Acme", "--name", "Main",
                 "--trigger-stage", "Assessment", "--credential", "client_id=client-123",
                 "--credential", "client_secret=secret-456", "--credential", "user_id=4080")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) == {"installation_id", "webhook_url", "webhook_secret"}
    assert printed["webhook_url"] == (
        f"https://connector.test/webhooks/greenhouse/{printed['installation_id']}")
    # The printed secret is the one the webhook endpoint checks.
    installation = {"secret": printed["webhook_secret"],
                    "path": printed["webhook_url"].removeprefix("https://connector.test")}
    response = signed_post(client, installation, fixture_body("greenhouse", "candidate_stage_change"))
    assert response.status_code == 200

    listed = json.loads(run(env, "sessions", "list", "--json").stdout)
    assert len(listed) == 1
    row = listed[0]
    assert set(row) == {"id", "state", "candidate_email", "ats_application_id", "deadline"}
    assert (row["state"], row["candidate_email"], row["ats_application_id"]) == (
        "invited", "giuseppe.hurley@example.com", "265277")
    assert json.loads(run(env, "sessions", "list", "--installation",
                          printed["installation_id"], "--json").stdout) == listed
    assert json.loads(run(env, "sessions", "list", "--installation", "inst_other",
                          "--json").stdout) == []


@pytest.mark.parametrize("args, message", [
    (["--credential", "user_id=1"], "api_key, or client_id and client_secret, is required"),
    (["--credential", "api_key=k", "--credential", "user_id=1", "--api-base-url", "ftp://x"],
     "api base URL: not an http(s) URL"),
    (["--credential", "novalue"], "expected KEY=VALUE"),
])
def test_install_refuses_bad_input_and_writes_nothing(env, services, args, message):
    from tests.conftest import row_counts

    before = row_counts(services)
    result = run(env, "install", "greenhouse", "--organization", "Acme", "--name", "Main",
                 "--trigger-stage", "Assessment", *args)
    assert result.exit_code == 2 if "KEY=VALUE" in message else result.exit_code == 1
    assert message in result.output
    assert row_counts(services) == before


def test_install_refuses_an_unknown_ats(env, services):
    result = run(env, "install", "taleo", "--organization", "Acme", "--name", "Main",
                 "--trigger-stage", "Assessment", "--credential", "api_key=k")
    assert result.exit_code == 1 and "unknown ATS 'taleo'" in result.output
