"""Signed-in sessions end on the server: sign-out, deactivation, and the idle and absolute limits."""

from __future__ import annotations

import time

import pytest
from flask_login.utils import encode_cookie

from connector.models import Role
from tests.test_accounts import add_user
from tests.test_auth import csrf, sign_in

HOUR = 3600


def stolen_copy(app, client):
    """A second client holding a copy of the client's session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def sign_out(client):
    return client.post("/logout", data={"csrf_token": csrf(client, "/account")})


@pytest.fixture
def clock(monkeypatch):
    """Move time.time (which the session cookie's signature reads too) forward by hours."""
    real, offset = time.time, [0.0]
    monkeypatch.setattr(time, "time", lambda: real() + offset[0])

    def forward(hours: float) -> None:
        offset[0] += hours * HOUR

    return forward


def test_a_cookie_captured_before_sign_out_opens_nothing_after(app, client, services):
    add_user(services, role=Role.ADMIN)
    sign_in(client)
    thief = stolen_copy(app, client)
    assert thief.get("/admin/users").status_code == 200
    assert sign_out(client).status_code == 303
    assert thief.get("/admin/users").status_code == 302
    assert thief.get("/account").status_code == 302


def test_signing_out_ends_every_session_of_that_user(app, client, services):
    add_user(services)
    add_user(services, email="bob@example.com")
    laptop, phone, bob = client, app.test_client(), app.test_client()
    for device, email in ((laptop, "ann@example.com"), (phone, "ann@example.com"),
                          (bob, "bob@example.com")):
        assert sign_in(device, email).status_code == 303
    sign_out(laptop)
    assert phone.get("/account").status_code == 302
    assert bob.get("/account").status_code == 200  # another user's sessions go on
    assert sign_in(phone).status_code == 303  # signing in again works
    assert phone.get("/account").status_code == 200


def test_a_remember_cookie_of_an_ended_session_is_refused(app, client, services):
    add_user(services)
    sign_in(client)
    with client.session_transaction() as session:
        signed_in_as = session["_user_id"]
    sign_out(client)
    with app.test_request_context():
        cookie = encode_cookie(signed_in_as)  # signed with the app's key, as Flask-Login does
    thief = app.test_client()
    thief.set_cookie("remember_token", cookie)
    assert thief.get("/account").status_code == 302


def test_a_session_ends_after_two_idle_hours(client, services, clock):
    add_user(services)
    sign_in(client)
    clock(1.9)
    assert client.get("/account").status_code == 200  # and this counts as activity
    clock(1.9)
    assert client.get("/account").status_code == 200
    clock(2.1)
    assert client.get("/account").status_code == 302


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(client, services, clock):
    add_user(services)
    sign_in(client)
    for _ in range(11):
        clock(1)
        assert client.get("/account").status_code == 200
    clock(1.1)
    assert client.get("/account").status_code == 302
    assert sign_in(client).status_code == 303
    assert client.get("/account").status_code == 200
