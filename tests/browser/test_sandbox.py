"""The sandbox flow in headless Chromium: drag a card, open the e-mail, record the interview,
open the card's note, sign in there as the printed admin to score it, and see the score on the
card; and the board on a phone.

The server is a real one on loopback with jobs on threads (not inline): a move's webhook goes
over HTTP from a job to the server's own webhook URL, as it does under `connector serve`.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.serving import make_server

from config import Settings
from connector.models import Interview, SandboxCard, InterviewState
from connector.sandbox import board
from connector.sandbox.seed import ADMIN_EMAIL, seed
from connector.services import install
from connector.wiring import build_services
from tests.browser.conftest import PHONE, PLAN
from tests.browser.test_interview import button, record_for
from tests.conftest import free_port


@dataclass
class Sandbox:
    services: object
    base_url: str
    cards: dict[str, int]
    admin_password: str


@pytest.fixture
def sandbox(pg_database_url, tmp_path, monkeypatch):
    """The app with the sandbox seeded, on a threaded HTTP server; jobs on a thread pool."""
    monkeypatch.setattr("jobs.media.shutil.which", lambda name: None)  # no transcoding wait
    port = free_port()
    settings = Settings(env="test", database_url=pg_database_url,
                        secret_keys=(Fernet.generate_key().decode(),),
                        public_base_url=f"http://127.0.0.1:{port}", data_dir=tmp_path,
                        sandbox=True, allow_private_ats_hosts=True)
    services = install(build_services(settings))  # threads: a job may call this very server
    with services.db.session() as db:
        seeded = seed(db, services.keyring, settings.public_base_url)
        cards = {c.first_name: c.id for c in db.scalars(select(SandboxCard))}
    from connector.app import create_app

    server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Sandbox(services, settings.public_base_url, cards, seeded.admin_password)
    server.shutdown()
    services.close()


def eventually(page: Page, locator, seconds: float = 20) -> None:
    """Reload the page until the locator shows: the work behind it runs in background jobs."""
    deadline = time.monotonic() + seconds
    while locator.count() == 0:
        assert time.monotonic() < deadline, "never appeared"
        page.wait_for_timeout(300)
        page.reload()
    expect(locator.first).to_be_visible()


def shorten_the_interview(sandbox: Sandbox, seconds: float = 20) -> None:
    """Give the session created by the webhook the short test plan, before the link opens."""
    deadline = time.monotonic() + seconds
    while True:
        with sandbox.services.db.session() as db:
            interview = db.scalars(select(Interview)).one_or_none()
            if interview is not None:
                interview.plan = PLAN
                return
        assert time.monotonic() < deadline, "no session was created"
        time.sleep(0.2)


def take_the_interview(page: Page) -> None:
    expect(page.get_by_role("heading", name="Welcome, Ada Okafor")).to_be_visible()
    page.get_by_label("I agree").check()
    button(page, "Start").click()
    button(page, "My camera and microphone work").click()
    record_for(page, 1.2)  # the practice question
    button(page, "Next question").click()
    expect(page.get_by_text("Question 1 of 2")).to_be_visible()
    record_for(page, 2)
    button(page, "Submit answer").click()
    expect(page.get_by_role("status").filter(has_text="Answer saved.").first).to_be_visible()
    button(page, "Next question").click()
    page.get_by_label("Your answer").fill("I like building things people rely on.")
    button(page, "Submit answer").click()
    button(page, "Finish").click()
    expect(page.get_by_role("heading", name="Thank you, Ada Okafor")).to_be_visible()


def sign_in_to_score(page: Page, sandbox: Sandbox) -> None:
    """The note's link only watches: its page leads to the sign-in, and back to score."""
    expect(page.get_by_text("it cannot score")).to_be_visible()
    page.get_by_role("link", name="sign in to score").click()
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(sandbox.admin_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Scoring as Sandbox admin.")).to_be_visible()


def score_it(page: Page) -> None:
    for index in range(page.locator('input[name^="competency-"][value="1"]').count()):
        page.locator(f'input[name="competency-{index}"][value="4"]').check()
    page.get_by_label("Strong yes", exact=True).check()
    page.get_by_label("Comments").fill("Clear and concrete.")
    page.get_by_role("button", name="Submit scores").click()
    expect(page.get_by_text("1 reviewer: Sandbox admin.")).to_be_visible()


def test_the_sandbox_flow_from_drag_to_score(sandbox, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900},
                                  permissions=["camera", "microphone"])
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda e: print(f"pageerror: {e}"))
    ada = sandbox.cards["Ada"]
    card = page.locator(f"#card-{ada}")

    page.goto(f"{sandbox.base_url}/sandbox")
    card.drag_to(page.locator('section[data-column="async_screen"]'))
    expect(page.get_by_role("status")).to_have_text("Moved Ada to Async screen.")
    expect(page.locator('section[data-column="async_screen"]').locator(f"#card-{ada}")) \
        .to_be_visible()
    shorten_the_interview(sandbox)

    page.goto(f"{sandbox.base_url}/sandbox/mailbox")
    eventually(page, page.get_by_role("link", name=re.compile("Your video interview with Sandbox")))
    page.get_by_role("link", name=re.compile("Your video interview with Sandbox")).click()
    page.locator("pre.body a[href*='/interview/']").click()
    take_the_interview(page)

    page.goto(f"{sandbox.base_url}/sandbox/cards/{ada}")
    eventually(page, page.locator(".note", has_text="completed the async video interview"))
    review = page.locator(".note", has_text="completed").locator(
        "a[href*='/review/shared/']:not([href*='#'])")
    review.click()
    sign_in_to_score(page, sandbox)
    score_it(page)

    page.goto(f"{sandbox.base_url}/sandbox")
    eventually(page, card.locator(".score"))
    expect(card.locator(".score")).to_have_text("★ 4.0 / 5")
    # A "strong yes" moves the card on to Interview, as the installation's options say.
    eventually(page, page.locator('section[data-column="interview"]').locator(f"#card-{ada}"))
    with sandbox.services.db.session() as db:
        assert db.scalars(select(Interview)).one().state is InterviewState.COMPLETED
        assert db.get(SandboxCard, ada).fields["recommendation"] == "strong_yes"
    context.close()


def test_a_card_moves_from_the_keyboard_without_scripts(sandbox, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    ben = sandbox.cards["Ben"]
    page.goto(f"{sandbox.base_url}/sandbox")
    page.get_by_label("Move Ben Castillo to").focus()
    page.get_by_label("Move Ben Castillo to").select_option(label="Rejected")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Moved Ben to Rejected.")
    expect(page.locator('section[data-column="rejected"]').locator(f"#card-{ben}")).to_be_visible()
    with sandbox.services.db.session() as db:
        assert db.get(SandboxCard, ben).column == board.CLOSED.id
    context.close()


def sideways(page: Page) -> dict:
    """How wide the page is, and the widest box that scrolls inside it (the board, a table)."""
    return page.evaluate("""() => ({
        page: document.documentElement.scrollWidth,
        inner: Math.max(0, ...[...document.querySelectorAll('main *')]
            .map(e => e.scrollWidth - e.clientWidth))})""")


def test_the_board_and_the_mailbox_fit_a_phone(sandbox, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    ada = sandbox.cards["Ada"]
    page.goto(f"{sandbox.base_url}/sandbox")
    page.get_by_label("Move Ada Okafor to").select_option(label="Async screen")
    page.locator(f"#card-{ada}").get_by_role("button", name="Move").click()
    expect(page.get_by_role("status")).to_have_text("Moved Ada to Async screen.")
    # Columns stack: the second one starts below the first, not beside it off screen. Both are
    # measured in one go, in page coordinates: the page may still be scrolling to the card.
    applied, screen = page.evaluate("""() => ["applied", "async_screen"].map(column => {
        const box = document.querySelector(`section[data-column="${column}"]`)
            .getBoundingClientRect();
        return {top: box.top + window.scrollY, bottom: box.bottom + window.scrollY};
    })""")
    assert screen["top"] >= applied["bottom"]
    assert sideways(page) == {"page": PHONE["width"], "inner": 0}

    page.goto(f"{sandbox.base_url}/sandbox/mailbox")
    eventually(page, page.get_by_role("link", name=re.compile("Your video interview with Sandbox")))
    assert sideways(page) == {"page": PHONE["width"], "inner": 0}
    context.close()
