"""Seeding: once, idempotently, on serve or by command; and the SANDBOX setting."""

from __future__ import annotations

import base64

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from config import SettingsError, load_settings
from connector import accounts
from connector.cli import main
from connector.models import Installation, SandboxCard, User
from connector.sandbox import board
from connector.sandbox.seed import ADMIN_EMAIL, seed
from tests.conftest import row_counts


def test_seeding_creates_the_sandbox(services):
    with services.db.session() as db:
        seeded = seed(db, services.keyring, "http://127.0.0.1:8000")
    assert seeded.created and seeded.cards_added == 6 and len(seeded.admin_password) >= 12
    with services.db.session() as db:
        installation = board.installation_of(db)
        assert installation.organization.name == "Sandbox" and installation.ats == "sandbox"
        assert installation.api_base_url == "http://127.0.0.1:8000/sandbox/api"
        assert [r.stage for r in installation.stage_rules] == ["Async screen"]
        assert installation.stage_rules[0].template_id is None  # the built-in template
        assert installation.options["decision_stages"] == {"strong_yes": "interview",
                                                           "yes": "interview"}
        assert "share_can_score" not in installation.options  # notes' links never score
        secret = services.keyring.decrypt(installation.webhook_secret_encrypted)
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
        cards = db.scalars(select(SandboxCard)).all()
        assert all(c.email.endswith("@example.com") for c in cards)
        assert {c.column for c in cards} <= set(board.BY_ID)
        admin = accounts.authenticate(db, ADMIN_EMAIL, seeded.admin_password)
        assert admin is not None and admin.role.value == "admin"
        assert admin.organization_id == installation.organization_id


def test_seeding_again_adds_nothing_and_follows_a_new_base_url(services):
    with services.db.session() as db:
        seed(db, services.keyring, "http://127.0.0.1:8000")
    before = row_counts(services)
    with services.db.session() as db:
        again = seed(db, services.keyring, "http://127.0.0.1:8765")
    assert not again.created and again.cards_added == 0 and again.admin_password is None
    assert row_counts(services) == before
    with services.db.session() as db:
        assert board.installation_of(db).api_base_url == "http://127.0.0.1:8765/sandbox/api"


def test_a_moved_board_is_left_alone(services):
    with services.db.session() as db:
        seed(db, services.keyring, "http://x")
        for card in db.scalars(select(SandboxCard)):
            card.column = "offer"
    with services.db.session() as db:
        seed(db, services.keyring, "http://x")
        assert {c.column for c in db.scalars(select(SandboxCard))} == {"offer"}


@pytest.fixture
def env(settings):
    return {"DATABASE_URL": settings.database_url, "SECRET_KEYS": settings.secret_keys[0],
            "PUBLIC_BASE_URL": settings.public_base_url,
            "CONNECTOR_DATA_DIR": str(settings.data_dir), "REDIS_URL": "", "SMTP_URL": "",
            "SANDBOX": ""}


def test_the_seed_command_prints_where_to_go_and_the_admin_once(env, services):
    first = CliRunner().invoke(main, ["sandbox", "seed"], env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "https://connector.test/sandbox" in first.output
    assert f"Sandbox admin: {ADMIN_EMAIL} / " in first.output
    second = CliRunner().invoke(main, ["sandbox", "seed"], env=env, catch_exceptions=False)
    assert second.exit_code == 0 and " / " not in second.output.split("Sandbox admin:")[1]
    with services.db.session() as db:
        assert len(db.scalars(select(Installation)).all()) == 1
        assert len(db.scalars(select(User)).all()) == 1


def test_the_seed_command_refuses_when_the_sandbox_is_off(env, services):
    before = row_counts(services)
    result = CliRunner().invoke(main, ["sandbox", "seed"], env={**env, "SANDBOX": "off"})
    assert result.exit_code == 1 and "the sandbox is off" in result.output
    assert row_counts(services) == before


def test_serve_seeds_before_it_starts_the_server(env, services, monkeypatch):
    started = []
    monkeypatch.setattr("connector.cli.processes.os.execvp", lambda *args: started.append(args))
    result = CliRunner().invoke(main, ["serve"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Sandbox admin:" in result.output and started
    with services.db.session() as db:
        assert board.installation_of(db) is not None


@pytest.mark.parametrize("environ, expected", [
    ({}, True),
    ({"SANDBOX": "off"}, False),
    ({"SANDBOX": "0"}, False),
    ({"SANDBOX": "yes"}, True),
    ({"CONNECTOR_ENV": "test"}, True),
])
def test_the_sandbox_is_on_by_default_outside_production(tmp_path, environ, expected):
    settings = load_settings({"CONNECTOR_DATA_DIR": str(tmp_path), **environ})
    assert settings.sandbox is expected


def test_production_leaves_the_sandbox_off_and_refuses_it_on():
    from tests.test_settings import PRODUCTION

    assert load_settings(PRODUCTION).sandbox is False
    with pytest.raises(SettingsError) as caught:
        load_settings({**PRODUCTION, "SANDBOX": "on"})
    assert any(p.startswith("SANDBOX:") for p in caught.value.problems)


def test_a_malformed_sandbox_switch_is_named(tmp_path):
    with pytest.raises(SettingsError) as caught:
        load_settings({"CONNECTOR_DATA_DIR": str(tmp_path), "SANDBOX": "maybe"})
    assert caught.value.problems == ["SANDBOX: must be on or off (1/0, true/false, yes/no)"]
