"""Every HTML page sends the security headers, and uses nothing its policy would block."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from connector.app import create_app
from connector.models import Email, Installation, SandboxCard
from connector.sandbox import board
from connector.sandbox.seed import seed
from connector.services import install
from connector.wiring import build_services
from tests.tenancy.conftest import make_tenant
from tests.tenancy.test_routes import CANDIDATE_PREFIX, SHARED_PREFIX, fill, rules

FLOOR = ("default-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
         "frame-ancestors 'none'")
INLINE_SCRIPT = re.compile(r'<script(?![^>]*\bsrc=)(?![^>]*type="application/json")[^>]*>')
INLINE_STYLE = re.compile(r'<style|\sstyle="')
HANDLER = re.compile(r'\son[a-z]+="|javascript:', re.I)


@pytest.fixture
def settings(settings):
    """The sandbox on, so its pages are among those checked."""
    return replace(settings, sandbox=True)


@pytest.fixture
def tenant(app, services, greenhouse):
    """An organization with one of every row, and the seeded sandbox with an e-mail."""
    acme = make_tenant(app, services, "Acme")
    with services.db.session() as db:
        seed(db, services.keyring, services.settings.public_base_url)
        sandbox = db.get(Installation, board.installation_of(db).id)
        card = db.scalars(select(SandboxCard)).first()
        email = Email(organization_id=sandbox.organization_id, kind="invitation",
                      dedupe_key="headers", to_address="pat@example.com", subject="Hello",
                      text_body="Hello", html_body="<p style='color:red'>Hello</p>")
        db.add(email)
        db.flush()
        acme.extra = {"card_id": card.id, "email_id": email.id, "ats": "greenhouse",
                      "application_id": card.application_id}
    return acme


def url_of(rule, tenant) -> str:
    """The rule's URL with the tenant's ids, its candidate token or its share link's token."""
    if rule.arguments <= tenant.extra.keys():  # the sandbox's pages, the wizard's ATS choice
        return rule.build({name: tenant.extra[name] for name in rule.arguments})[1]
    url = fill(rule, tenant)
    for prefix, token in ((CANDIDATE_PREFIX, tenant.candidate_token),
                          (SHARED_PREFIX, tenant.share_token)):
        if rule.rule.startswith(prefix):
            url = url.replace(prefix.replace("<token>", "any"), prefix.replace("<token>", token))
    return url


def check(response, url: str) -> None:
    headers = response.headers
    assert headers.get("X-Frame-Options") == "DENY", url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") == "no-referrer", url
    policy = headers.get("Content-Security-Policy", "")
    assert all(part in policy for part in FLOOR), (url, policy)
    assert "Strict-Transport-Security" not in headers, url  # outside production
    html = response.get_data(as_text=True)
    assert not INLINE_SCRIPT.search(html) and not HANDLER.search(html), url
    assert "'unsafe-inline'" in policy or not INLINE_STYLE.search(html), url


def test_every_html_page_sends_the_security_headers(app, tenant):
    clients = {"admin": tenant.signed_in(app, "admin"), "visitor": app.test_client()}
    checked = set()
    for rule in rules(app):
        if "GET" not in rule.methods:
            continue
        url = url_of(rule, tenant)
        for who, client in clients.items():
            response = client.get(url)
            if response.mimetype == "text/html":
                check(response, url)
                checked.add(rule.endpoint)
    expected = {"auth.login", "auth.account", "admin.users", "admin.template_edit",
                "admin.install_step", "candidate.landing", "review.session_page",
                "review.shared_page", "sandbox.board_page", "sandbox.message"}
    assert expected <= checked, expected - checked


def test_a_pages_own_policy_keeps_its_directives_and_gains_the_floor(app, tenant):
    page = app.test_client().get(f"/interview/{tenant.candidate_token}")
    policy = page.headers["Content-Security-Policy"]
    assert "media-src 'self' blob: https:" in policy and "script-src 'self'" in policy
    assert "style-src 'self'" in policy and all(part in policy for part in FLOOR)
    assert page.headers["Permissions-Policy"] == "camera=(self), microphone=(self)"


def test_json_and_errors_get_them_too(app):
    client = app.test_client()
    for response in (client.get("/healthz"), client.get("/no-such-page"),
                     client.post("/webhooks/greenhouse/no-such-installation", data=b"{}")):
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.request.path
        assert response.headers.getlist("Content-Security-Policy") == [
            "default-src 'self'; img-src 'self' data: https:; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"], response.request.path


def test_production_adds_strict_transport_security(settings):
    services = install(build_services(replace(settings, env="production", sandbox=False),
                                      synchronous_jobs=True))
    try:
        app = create_app(services=services)
        for response in (app.test_client().get("/login"),
                         app.test_client().post("/webhooks/greenhouse/unknown", data=b"{}")):
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
            assert response.headers["X-Frame-Options"] == "DENY"
    finally:
        services.close()
