"""The install wizard in headless Chromium, against a fake Greenhouse on loopback.

The app runs behind a real HTTP server with jobs on a thread pool (not inline), so the test
event is POSTed by a job, over HTTP, to the installation's own public URL.
"""

from __future__ import annotations

import re
import threading

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from config import Settings
from connector import accounts
from connector.models import Installation, WebhookDelivery
from connector.services import install
from connector.wiring import build_services
from tests.conftest import free_port
from tests.fakes.greenhouse import CLIENT_ID, CLIENT_SECRET, USER_ID
from tests.fakes.greenhouse_admin_server import GreenhouseAdminServer

EMAIL, PASSWORD = "ada@acme.example", "correct horse battery staple"


@pytest.fixture
def site(pg_database_url, tmp_path):
    """The app on 127.0.0.1 (jobs on threads), a fake Greenhouse, and an admin of Acme."""
    port = free_port()
    settings = Settings(env="test", database_url=pg_database_url,
                        secret_keys=(Fernet.generate_key().decode(),),
                        public_base_url=f"http://127.0.0.1:{port}", data_dir=tmp_path,
                        allow_private_ats_hosts=True)
    services = install(build_services(settings, synchronous_jobs=False))
    with services.db.session() as db:
        accounts.create_user(db, "Acme", EMAIL, PASSWORD, "admin")
    from connector.app import create_app

    server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    greenhouse = GreenhouseAdminServer().start()
    yield services, settings.public_base_url, greenhouse
    greenhouse.stop()
    server.shutdown()
    services.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    opened.on("pageerror", lambda e: print(f"pageerror: {e}"))
    yield opened
    context.close()


def copied(page, field: str) -> str:
    """Press the field's Copy button and read what reached the clipboard."""
    page.click(f"button[data-copy='{field}']")
    # Playwright's own matchers, not wait_for_function: its polling evaluates a string, which
    # the pages' CSP (no 'unsafe-eval') refuses whenever the first look is too early.
    expect(page.locator(f"#{field}-status")).to_have_text("Copied.")
    return page.evaluate("navigator.clipboard.readText()")


def test_an_admin_installs_greenhouse_and_a_test_event_arrives(site, page):
    services, base_url, greenhouse = site
    page.goto(f"{base_url}/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base_url}/admin/installations")
    page.click("text=Connect an ATS")
    page.click("text=Greenhouse")

    page.fill("#name", "Acme Greenhouse")
    page.fill("#client_id", CLIENT_ID)
    page.fill("#client_secret", CLIENT_SECRET)
    page.fill("#user_id", USER_ID)
    page.fill("#token_url", f"{greenhouse.url}/token")
    page.fill("#api_base_url", greenhouse.url)
    page.click("text=Check and continue")

    page.wait_for_selector("#webhook-url")
    webhook_url, secret = copied(page, "webhook-url"), copied(page, "webhook-secret")
    with services.db.session() as db:
        installation = db.scalars(select(Installation)).one()
        assert webhook_url == f"{base_url}/webhooks/greenhouse/{installation.public_id}"
        assert secret == services.keyring.decrypt(installation.webhook_secret_encrypted)
    assert page.input_value("#webhook-url") == webhook_url
    assert "Candidate has changed stage" in page.content()

    page.click("text=Next: trigger stages")
    page.check("input[name=stage][value='Async screen']")
    page.click("text=Save and continue")
    page.wait_for_selector("input[name=template_id]")
    page.click("text=Save and continue")  # the built-in template, chosen by default
    page.check("input[name=note_visibility][value=private]")
    page.click("text=Save and continue")

    with page.expect_navigation():
        page.click("button:has-text('Send a test event')")
    page.wait_for_selector("#test-result")
    expect(page.locator("#test-result")).to_have_attribute("data-state", "arrived",
                                                          timeout=30_000)
    assert "Nothing was written to the ATS" in page.text_content("#test-result")
    with services.db.session() as db:
        delivery = db.scalars(select(WebhookDelivery)).one()
        assert delivery.action == "candidate_stage_change"
        assert (delivery.status.value, delivery.outcome) == ("ignored", "stage_not_mapped")
        rules = [rule.stage for rule in db.scalars(select(Installation)).one().stage_rules]
    assert rules == ["Async screen"]
    assert greenhouse.writes == []  # no note, field or move for the fake candidate

    page.click("text=Finish")
    page.wait_for_selector("#webhook-heading")
    assert secret not in page.content()
    assert re.search(r"/admin/installations/\d+$", page.url)
