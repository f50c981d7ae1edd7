"""Settings come from the environment; production refuses to start and names each bad setting."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
from click.testing import CliRunner

from config import SettingsError, load_settings
from connector.cli import main

# Fixed, not generated: it is part of a parametrized test's name, which every test process
# (pytest-xdist) must collect alike.
KEY = base64.urlsafe_b64encode(b"settings-test-key-of-32-bytes!!!").decode()
PRODUCTION = {
    "CONNECTOR_ENV": "production",
    "DATABASE_URL": "postgresql://connector@db.internal/connector",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "SECRET_KEYS": KEY,
    "PUBLIC_BASE_URL": "https://interviews.example.com",
    "SMTP_URL": "smtp+starttls://mailer:pw@smtp.example.com:587",
    "MAIL_FROM": "Interviews <interviews@example.com>",
    "RECORDINGS_URL": "s3://recordings/connector",
}


def problems(environ: dict) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    return caught.value.problems


def test_development_runs_on_embedded_defaults(tmp_path):
    settings = load_settings({"CONNECTOR_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/connector.db"
    assert settings.redis_url is None and settings.smtp_url is None
    assert settings.public_base_url == "http://127.0.0.1:8000"


def test_a_complete_production_environment_is_accepted():
    settings = load_settings(PRODUCTION)
    assert settings.production and settings.secret_keys == (KEY,)


def test_production_names_every_missing_setting():
    assert problems({"CONNECTOR_ENV": "production"}) == [
        f"{name}: required in production" for name in
        ("DATABASE_URL", "REDIS_URL", "SECRET_KEYS", "PUBLIC_BASE_URL", "SMTP_URL", "MAIL_FROM",
         "RECORDINGS_URL")]


@pytest.mark.parametrize("name, value, problem", [
    ("PUBLIC_BASE_URL", "http://interviews.example.com", "PUBLIC_BASE_URL: must be https://"),
    ("DATABASE_URL", "sqlite:////srv/connector.db", "DATABASE_URL: SQLite is for one machine"),
    ("SMTP_URL", "smtp://mailer:pw@smtp.example.com", "SMTP_URL: credentials need smtps://"),
    ("SMTP_URL", "http://smtp.example.com", "SMTP_URL: scheme must be one of"),
    ("RECORDINGS_URL", "ftp://files.example.com", "RECORDINGS_URL: must be file:///path"),
    ("SECRET_KEYS", "not-a-key", "SECRET_KEYS: key 1 is not a Fernet key"),
    ("SECRET_KEYS", f"{KEY},short", "SECRET_KEYS: key 2 is not a Fernet key"),
])
def test_production_refuses_insecure_settings(name, value, problem):
    found = problems(dict(PRODUCTION, **{name: value}))
    assert len(found) == 1 and found[0].startswith(problem)


def test_serve_refuses_to_start_and_names_the_problems():
    result = CliRunner().invoke(main, ["serve"], env={
        **{k: "" for k in PRODUCTION}, "CONNECTOR_ENV": "production",
        "PUBLIC_BASE_URL": "http://plain.example.com"})
    assert result.exit_code == 1
    assert "refusing to start" in result.output
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEYS", "SMTP_URL", "MAIL_FROM"):
        assert f"{name}: required in production" in result.output
    assert "PUBLIC_BASE_URL: must be https://" in result.output


def test_log_lines_redact_email_addresses_and_database_details():
    from config.logging import redact

    text = ('IntegrityError: duplicate key\nDETAIL:  Key (email)=(ada@example.org) exists.\n'
            'sent to "bo.li@mail.example.co.uk"')
    assert redact(text) == ('IntegrityError: duplicate key\nDETAIL: [redacted]\n'
                            'sent to "[email]"')


def test_a_process_that_imports_alembic_after_setting_up_logs_no_plugin_lines():
    code = ("from config.logging import configure_logging; configure_logging('INFO'); "
            "import logging, alembic.command; "
            "logging.getLogger('alembic.runtime.migration').info('Running upgrade a -> b')")
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stderr
    assert "setup plugin" not in printed and "Running upgrade a -> b" in printed


def test_private_ats_hosts_are_off_unless_the_setting_turns_them_on(tmp_path):
    base = {"CONNECTOR_DATA_DIR": str(tmp_path)}
    assert load_settings(base).allow_private_ats_hosts is False
    assert load_settings(dict(base, ALLOW_PRIVATE_ATS_HOSTS="on")).allow_private_ats_hosts
    assert problems(dict(base, ALLOW_PRIVATE_ATS_HOSTS="sometimes")) == [
        "ALLOW_PRIVATE_ATS_HOSTS: must be on or off (1/0, true/false, yes/no)"]


def test_the_services_of_a_process_follow_the_setting(settings):
    from dataclasses import replace

    from adapters.hosts import name_refusal
    from connector.wiring import build_services

    for allowed, refused in ((False, True), (True, False)):
        built = build_services(replace(settings, allow_private_ats_hosts=allowed))
        assert bool(name_refusal("127.0.0.1")) is refused
        assert name_refusal("169.254.169.254") == "169.254.169.254 is a cloud metadata address"
        built.close()
