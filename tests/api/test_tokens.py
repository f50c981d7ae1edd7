"""Tokens: made once and shown once, stored as SHA-256, revocable; bearer auth on every route."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connector.api import tokens
from connector.cli import main
from connector.models import ApiToken, utcnow
from tests.api.conftest import Api, assert_error, new_token
from tests.conftest import row_counts


@pytest.fixture
def env(settings):
    return {"DATABASE_URL": settings.database_url, "SECRET_KEYS": settings.secret_keys[0],
            "PUBLIC_BASE_URL": settings.public_base_url,
            "CONNECTOR_DATA_DIR": str(settings.data_dir), "REDIS_URL": "", "SMTP_URL": ""}


def run(env, *args):
    return CliRunner().invoke(main, ["tokens", *args], env=env, catch_exceptions=False)


def stored(services) -> list[ApiToken]:
    with services.db.session() as db:
        return list(db.scalars(select(ApiToken).order_by(ApiToken.id)))


def test_create_prints_the_token_once_and_stores_only_its_hash(env, services, acme):
    result = run(env, "create", "--organization", "Acme", "--name", "CI export")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    token = printed["token"]
    assert token.startswith("cnk_") and len(token) >= 4 + 43
    row = stored(services)[-1]
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:12] and row.name == "CI export"
    assert token not in json.dumps([vars(r) for r in stored(services)], default=str)
    listed = json.loads(run(env, "list", "--organization", "Acme", "--json").stdout)
    assert [t["prefix"] for t in listed] == [stored(services)[0].prefix, row.prefix]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    assert Api(acme.api.client, token).get("/installations").status_code == 200


def test_create_for_an_unknown_organization_exits_1_and_writes_nothing(env, services):
    before = row_counts(services)
    result = CliRunner().invoke(main, ["tokens", "create", "--organization", "Nobody"], env=env)
    assert result.exit_code == 1
    assert "no organization 'Nobody'" in result.output
    assert row_counts(services) == before


def test_revoke_stops_the_token_at_once(env, services, acme):
    assert acme.api.get("/installations").status_code == 200
    token_id = stored(services)[0].id
    result = run(env, "revoke", str(token_id))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["revoked_at"]
    response = acme.api.get("/installations")
    assert_error(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    listed = run(env, "list", "--organization", "Acme").stdout
    assert "revoked" in listed
    assert CliRunner().invoke(main, ["tokens", "revoke", "999"], env=env).exit_code == 1


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer cnk_unknown",
    "Bearer " + "cnk_" + "x" * 200, "Token cnk_abc",
])
def test_missing_or_invalid_tokens_answer_401_with_a_bearer_challenge(client, acme, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/sessions", headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_refused_request_writes_nothing(client, services, acme):
    before = row_counts(services)
    response = client.post("/api/v1/templates", json={"name": "x"},
                           headers={"Authorization": "Bearer cnk_nope"})
    assert_error(response, 401, "unauthorized")
    assert row_counts(services) == before


def test_last_used_is_recorded_at_most_once_a_minute(services, acme):
    assert acme.api.get("/installations").status_code == 200
    first = stored(services)[0].last_used_at
    assert first is not None
    assert acme.api.get("/installations").status_code == 200
    assert stored(services)[0].last_used_at == first
    with services.db.session() as db:
        row = db.scalars(select(ApiToken)).first()
        row.last_used_at = utcnow() - timedelta(minutes=2)
    assert acme.api.get("/installations").status_code == 200
    assert stored(services)[0].last_used_at > first


def test_find_token_refuses_what_is_not_a_live_token(services, acme):
    other = new_token(services, "Acme")
    organization_id = stored(services)[0].organization_id
    with services.db.session() as db:
        assert tokens.find_token(db, other).organization_id == organization_id
        assert tokens.find_token(db, other + "x") is None
        assert tokens.find_token(db, "") is None
        tokens.revoke_token(db, tokens.find_token(db, other).id)
    with services.db.session() as db:
        assert tokens.find_token(db, other) is None
