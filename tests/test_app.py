"""The root address `connector serve` prints leads somewhere useful."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connector.app import create_app
from connector.services import install
from connector.wiring import build_services


@pytest.fixture
def root_of(settings):
    """`root_of(**changes)`: the answer to GET / under settings with those changes."""
    built = []

    def get(**changes):
        services = install(build_services(replace(settings, **changes), synchronous_jobs=True))
        built.append(services)
        return create_app(services=services).test_client().get("/")

    yield get
    for services in built:
        services.close()


def test_the_root_leads_to_the_sandbox_board_when_the_sandbox_is_on(root_of):
    response = root_of(sandbox=True)
    assert response.status_code == 302
    assert response.headers["Location"] == "/sandbox"


def test_the_root_leads_to_sign_in_when_the_sandbox_is_off(root_of):
    response = root_of(sandbox=False)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_the_root_leads_to_sign_in_in_production(root_of):
    response = root_of(env="production", sandbox=True)  # a sandbox never shows in production
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_a_delivery_is_answered_without_sessions_and_with_the_security_headers(client,
                                                                               installation):
    from tests.conftest import fixture_body, signed_post

    client.set_cookie("session", "a-browser-cookie")  # nothing reads it for a delivery
    response = signed_post(client, installation,
                           fixture_body("greenhouse", "candidate_stage_change"))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")  # the session was never opened
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")

