"""Signed-in clients of the admin web app: an admin (or any role) of a named organization."""

from __future__ import annotations

import itertools
import re

import pytest
import responses

from connector import accounts
from connector.models import Role

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_people = itertools.count(1)


def csrf_token(client, path: str = "/login") -> str:
    """A form token of the client's session (every form of a session shares it)."""
    found = CSRF.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found[1]


def post_form(client, path: str, data: dict | None = None, token_from: str = "/account"):
    """POST a form with the session's CSRF token (by default from /account: any signed-in user)."""
    return client.post(path, data={"csrf_token": csrf_token(client, token_from), **(data or {})})


@pytest.fixture
def user_client(app, services):
    """`user_client("Acme", role)`: a new test client signed in as a new user of that org."""
    def make(organization: str, role: Role | str = Role.ADMIN):
        email = f"user{next(_people)}@{organization.lower().replace(' ', '-')}.example"
        with services.db.session() as db:
            accounts.create_user(db, organization, email, PASSWORD, role)
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": PASSWORD,
                                               "csrf_token": csrf_token(client)})
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
        return client

    return make


@pytest.fixture
def admin_client(user_client):
    """`admin_client("Acme")`: a test client signed in as an admin of that organization."""
    return lambda organization: user_client(organization, Role.ADMIN)


@pytest.fixture
def admin(admin_client):
    """Acme's admin, signed in."""
    return admin_client("Acme")


@pytest.fixture
def harvest(app):
    """Greenhouse faked as the install wizard meets it."""
    from tests.admin.fake_harvest import FakeHarvest

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeHarvest(mock, app)
