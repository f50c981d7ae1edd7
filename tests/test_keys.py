"""`connector keys rotate`: every secret at rest re-encrypted under the first of SECRET_KEYS."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from connector import accounts
from connector.cli import main
from connector.crypto import InvalidToken, Keyring
from connector.installations import rotate_webhook_secret
from connector.keys import drop_cached_tokens, encrypted_columns, rotate_database
from connector.models import Installation, Interview
from jobs.pushes import SealedTokens
from jobs.ratelimit import RedisStore
from tests.conftest import make_installation
from tests.test_accounts import add_interview

KEY_B = Fernet.generate_key().decode()


@pytest.fixture
def secrets_at_rest(services):
    """Under key A (the services' own): an installation with a previous secret, a session's link
    token and a share link, as the service writes them; their clear values by place."""
    installation = make_installation(services, ["Assessment"])
    public_id = add_interview(services)
    with services.db.session() as db:
        row = db.get(Installation, installation["id"])
        new_secret = rotate_webhook_secret(db, services.keyring, row, grace_hours=24)
        interview = db.scalar(select(Interview).where(
            Interview.public_id == public_id))
        interview.token_encrypted = services.keyring.encrypt("candidate-link-token")
        _, share_token = accounts.create_share_link(db, services.keyring, interview, False, 7)
    clear = {("installations", "webhook_secret_encrypted"): new_secret,
             ("installations", "previous_webhook_secret_encrypted"): installation["secret"],
             ("interview_sessions", "token_encrypted"): "candidate-link-token",
             ("share_links", "token_encrypted"): share_token}
    return clear


def stored(services) -> dict[tuple[str, str, int], str]:
    """Every encrypted value in the database, by table, column and row id."""
    values = {}
    with services.db.engine.connect() as connection:
        for table, names in encrypted_columns().items():
            for row in connection.execute(select(table)).mappings():
                values |= {(table.name, n, row["id"]): row[n] for n in names if row[n]}
    return values


def by_table(counts) -> dict[str, dict]:
    return {c.table: c.as_dict() for c in counts}


def test_every_encrypted_column_is_known():
    found = {(t.name, n) for t, names in encrypted_columns().items() for n in names}
    assert {("installations", "credentials_encrypted"),
            ("installations", "webhook_secret_encrypted"),
            ("installations", "previous_webhook_secret_encrypted"),
            ("interview_sessions", "token_encrypted"),
            ("share_links", "token_encrypted")} <= found


def test_after_rotating_the_new_key_alone_opens_everything(services, secrets_at_rest):
    key_a = services.settings.secret_keys[0]
    before = stored(services)
    with pytest.raises(InvalidToken):
        Keyring([KEY_B]).decrypt(next(iter(before.values())))

    counts = by_table(rotate_database(services.db, Keyring([KEY_B, key_a]), batch_size=1))
    assert counts["installations"] | {"table": None} == {
        "table": None, "rows": 1, "rotated": 3, "current": 0, "unreadable": 0, "changed": 0}
    assert counts["interview_sessions"]["rotated"] == 1
    assert counts["share_links"]["rotated"] == 1

    only_b = Keyring([KEY_B])
    after = stored(services)
    assert after.keys() == before.keys()
    opened = {(table, column): only_b.decrypt(value) for (table, column, _), value in after.items()}
    assert {k: v for k, v in opened.items() if k in secrets_at_rest} == secrets_at_rest
    assert json.loads(opened[("installations", "credentials_encrypted")])["client_id"]


def test_rotating_twice_rewrites_nothing(services, secrets_at_rest):
    keyring = Keyring([KEY_B, services.settings.secret_keys[0]])
    rotate_database(services.db, keyring)
    once = stored(services)
    counts = by_table(rotate_database(services.db, keyring))
    assert stored(services) == once
    assert all(c["rotated"] == 0 and c["unreadable"] == 0 for c in counts.values())
    assert counts["installations"]["current"] == 3


def test_a_dry_run_counts_and_writes_nothing(services, secrets_at_rest):
    before = stored(services)
    keyring = Keyring([KEY_B, services.settings.secret_keys[0]])
    counts = by_table(rotate_database(services.db, keyring, dry_run=True))
    assert counts["installations"]["rotated"] == 3 and counts["share_links"]["rotated"] == 1
    assert stored(services) == before


def test_a_value_no_key_opens_is_counted_and_the_rest_still_rotate(services, secrets_at_rest):
    with services.db.session() as db:
        db.execute(update(Interview).values(
            token_encrypted=Keyring([Fernet.generate_key().decode()]).encrypt("lost")))
    counts = by_table(rotate_database(services.db,
                                      Keyring([KEY_B, services.settings.secret_keys[0]])))
    assert counts["interview_sessions"]["unreadable"] == 1
    assert counts["installations"]["rotated"] == 3 and counts["share_links"]["rotated"] == 1


def test_a_value_the_service_rewrites_meanwhile_is_left_as_written(services, secrets_at_rest,
                                                                   monkeypatch):
    keyring = Keyring([KEY_B, services.settings.secret_keys[0]])
    written_meanwhile = keyring.encrypt("rotated by an admin just now")
    real_rotate = Keyring.rotate

    def rotate_while_the_service_writes(self, token):
        with services.db.session() as db:  # another process saves a secret between read and write
            db.execute(update(Installation).values(webhook_secret_encrypted=written_meanwhile))
        return real_rotate(self, token)

    monkeypatch.setattr(Keyring, "rotate", rotate_while_the_service_writes)
    counts = by_table(rotate_database(services.db, keyring))
    assert counts["installations"]["changed"] == 1 and counts["installations"]["rotated"] == 0
    with services.db.session() as db:
        assert db.scalar(select(Installation.webhook_secret_encrypted)) == written_meanwhile
    monkeypatch.undo()
    assert by_table(rotate_database(services.db, keyring))["installations"]["rotated"] == 2


# The cached ATS token


def test_cached_ats_tokens_are_dropped_not_left_under_the_old_key(services, redis_url):
    from redis import Redis

    connection = Redis.from_url(redis_url)
    cache = SealedTokens(RedisStore(connection), services.keyring)
    cache.set("inst_1:client-123", "oauth-token", time.time() + 3600)
    assert drop_cached_tokens(redis_url, dry_run=True) == 1
    assert cache.get("inst_1:client-123") is not None
    assert drop_cached_tokens(redis_url) == 1
    assert cache.get("inst_1:client-123") is None
    assert drop_cached_tokens(redis_url) == 0
    assert drop_cached_tokens(None) is None
    connection.close()


# The command


def run(settings, keys: str, *args, redis_url: str = ""):
    env = {"DATABASE_URL": settings.database_url, "SECRET_KEYS": keys,
           "PUBLIC_BASE_URL": settings.public_base_url,
           "CONNECTOR_DATA_DIR": str(settings.data_dir), "REDIS_URL": redis_url, "SMTP_URL": ""}
    return CliRunner().invoke(main, ["keys", "rotate", *args], env=env)


def test_the_command_rotates_and_prints_counts_per_table(settings, services, secrets_at_rest):
    keys = f"{KEY_B},{settings.secret_keys[0]}"
    before = stored(services)
    dry = run(settings, keys, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing was written" in dry.output and stored(services) == before
    result = run(settings, keys, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    tables = {t["table"]: t for t in printed["tables"]}
    assert tables["installations"]["rotated"] == 3 and tables["share_links"]["rotated"] == 1
    assert printed["cached_tokens_dropped"] is None  # no Redis: nothing shared to drop
    text = run(settings, keys)
    assert text.exit_code == 0 and "installations" in text.output and "current" in text.output
    only_b = Keyring([KEY_B])
    assert all(only_b.decrypt(v) for v in stored(services).values())


def test_the_command_fails_when_a_value_opens_with_no_key(settings, services, secrets_at_rest):
    result = run(settings, KEY_B)  # key A forgotten before rotating
    assert result.exit_code == 1
    assert "open with no key in SECRET_KEYS" in result.output


# Signed-in people


def test_people_stay_signed_in_when_a_new_key_goes_first(settings, services, client):
    from dataclasses import replace

    from connector.app import create_app
    from connector.wiring import build_services
    from tests.review.conftest import add_user, sign_in

    add_user(services, "ann@acme.example")
    sign_in(client, "ann@acme.example")
    assert client.get("/account").status_code == 200
    cookie = client.get_cookie("session").value
    with_both = build_services(replace(settings, secret_keys=(KEY_B, settings.secret_keys[0])),
                               synchronous_jobs=True)
    b_alone = build_services(replace(settings, secret_keys=(KEY_B,)), synchronous_jobs=True)
    try:
        after = create_app(services=with_both).test_client()
        after.set_cookie("session", cookie)
        assert after.get("/account").status_code == 200  # the cookie signed under key A
        stranger = create_app(services=b_alone).test_client()
        stranger.set_cookie("session", cookie)
        assert stranger.get("/account").status_code == 302  # once A is gone, so is the session
    finally:
        with_both.close()
        b_alone.close()
