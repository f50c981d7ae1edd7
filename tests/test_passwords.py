"""Password rules, changing one's own password, and an admin's forced reset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from connector import accounts
from connector.accounts import AccessError
from connector.models import Role, User, utcnow
from tests.conftest import row_counts
from tests.test_accounts import PASSWORD, add_user, run
from tests.test_auth import csrf, sign_in

NEW = "plum orbit canvas lantern"
GUESSABLE = ["123456789012", "password1234", "qwertyuiopas", "aaaaaaaaaaaa", "acmeacmeacme",
             "ann@example.com", "Ann Ann Ann Ann"]


def password_hash(services, email="ann@example.com") -> str:
    with services.db.session() as db:
        return db.scalar(select(User.password_hash).where(User.email == email))


def change(client, current=PASSWORD, new=NEW, repeat=None):
    return client.post("/account", data={
        "csrf_token": csrf(client, "/account"), "current_password": current,
        "new_password": new, "repeat_password": new if repeat is None else repeat})


# The rules


@pytest.mark.parametrize("password", GUESSABLE)
def test_guessable_passwords_are_refused_and_nothing_is_written(services, password):
    before = row_counts(services)
    with pytest.raises(AccessError, match="a password is too easy to guess"):
        with services.db.session() as db:
            accounts.create_user(db, "Acme", "ann@example.com", password, "reviewer", "Ann")
    assert row_counts(services) == before


@pytest.mark.parametrize("password", [PASSWORD, NEW, "Tr0ub4dor&3-zebra"])
def test_passwords_hard_to_guess_are_taken(password):
    assert accounts.password_problems(password, "ann@example.com", "Ann", "Acme") == []


def test_the_command_line_refuses_a_guessable_password(services, settings):
    env = {"DATABASE_URL": settings.database_url, "SECRET_KEYS": settings.secret_keys[0],
           "CONNECTOR_DATA_DIR": str(settings.data_dir), "REDIS_URL": "", "SMTP_URL": ""}
    before = row_counts(services)
    result = run(env, "users", "create", "--email", "cy@example.com", "--password",
                 "123456789012", "--organization", "Acme")
    assert result.exit_code == 1 and "a password is too easy to guess" in result.output
    assert row_counts(services) == before


# Changing one's own password


def test_a_user_changes_their_password_and_their_other_sessions_end(app, client, services):
    add_user(services)
    sign_in(client)
    other = app.test_client()
    sign_in(other)
    response = change(client)
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert "Your password is changed" in client.get("/account").get_data(as_text=True)
    assert other.get("/account").status_code == 302  # the other session ended
    assert sign_in(app.test_client(), password=PASSWORD).status_code == 401
    assert sign_in(app.test_client(), password=NEW).status_code == 303


@pytest.mark.parametrize("fields, field, message", [
    ({"current": "not my password"}, "current_password", "This is not your current password"),
    ({"new": "123456789012"}, "new_password", "A password is too easy to guess"),
    ({"new": "short"}, "new_password", "A password needs at least 12 characters"),
    ({"new": PASSWORD}, "new_password", "Choose a password other than your current one"),
    ({"repeat": NEW + "!"}, "repeat_password", "This is not the same as the new password"),
])
def test_a_bad_change_is_a_400_next_to_the_field_and_writes_nothing(client, services, fields,
                                                                   field, message):
    add_user(services)
    sign_in(client)
    before = password_hash(services)
    response = change(client, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error', html, re.S)
    assert f'id="{field}-error"' in html and NEW not in html and PASSWORD not in html
    assert password_hash(services) == before
    assert client.get("/account").status_code == 200  # still signed in


def test_a_change_needs_the_forms_csrf_token(client, services):
    add_user(services)
    sign_in(client)
    before = password_hash(services)
    response = client.post("/account", data={"current_password": PASSWORD,
                                             "new_password": NEW, "repeat_password": NEW})
    assert response.status_code == 400 and password_hash(services) == before


def test_guessing_the_current_password_is_throttled(client, services):
    add_user(services)
    sign_in(client)
    for _ in range(5):
        assert change(client, current="not my password").status_code == 400
    assert change(client).status_code == 429
    assert password_hash(services) != accounts.HASHER.hash(NEW)


# An admin's reset


@pytest.fixture
def reset(app, services):
    """Acme's admin resets Ann's password; the temporary password the page showed."""
    add_user(services, email="ada@example.com", role=Role.ADMIN)
    ann = add_user(services)

    def do(client=None):
        admin = client or app.test_client()
        sign_in(admin, "ada@example.com")
        response = admin.post(f"/admin/users/{ann}/reset",
                              data={"csrf_token": csrf(admin, "/admin/users")})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.headers["Cache-Control"] == "no-store"
        return re.search(r"<code>([^<]+)</code>", response.get_data(as_text=True))[1]

    return do


def test_a_reset_ends_the_users_sessions_and_their_old_password(app, client, services, reset):
    sign_in(client)
    temporary = reset()
    assert client.get("/account").status_code == 302
    assert sign_in(app.test_client()).status_code == 401
    assert len(temporary) >= 16 and temporary not in password_hash(services)


def test_a_temporary_password_leads_only_to_choosing_a_new_one(client, services, reset):
    temporary = reset()
    response = sign_in(client, password=temporary, next_="/admin/users")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert "Choose a new password" in client.get("/account").get_data(as_text=True)
    for elsewhere in ("/admin/users", "/admin/templates", "/login"):
        assert client.get(elsewhere).headers.get("Location") == "/account", elsewhere
    assert change(client, current=temporary).status_code == 303
    assert client.get("/admin/users").status_code == 404  # a reviewer's answer: no detour
    assert sign_in(client.application.test_client(), password=NEW).status_code == 303


def test_a_temporary_password_stops_working_after_three_days(services, reset):
    temporary = reset()
    with services.db.session() as db:
        later = utcnow() + timedelta(days=3, minutes=1)
        assert accounts.authenticate(db, "ann@example.com", temporary, now=later) is None
        assert accounts.authenticate(db, "ann@example.com", temporary) is not None


def test_an_admin_cannot_reset_their_own_password_there(client, services):
    ada = add_user(services, email="ada@example.com", role=Role.ADMIN)
    sign_in(client, "ada@example.com")
    before = password_hash(services, "ada@example.com")
    response = client.post(f"/admin/users/{ada}/reset",
                           data={"csrf_token": csrf(client, "/admin/users")})
    assert response.status_code == 409 and "account page" in response.get_data(as_text=True)
    assert password_hash(services, "ada@example.com") == before
