"""A live server on loopback and Debian's Chromium, driven by Playwright, with a fake camera."""

from __future__ import annotations

import re
import shutil
import threading

import pytest
import responses
from cryptography.fernet import Fernet
from sqlalchemy import select
from werkzeug.serving import make_server

from config import Settings
from connector.models import Email, Interview
from connector.services import install
from connector.wiring import build_services
from tests.conftest import fixture_body, free_port, make_installation, need, signed_post
from tests.fakes.greenhouse import FakeGreenhouse

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
PHONE = {"width": 360, "height": 740}

# Short times so a whole interview takes seconds: a practice question, a video question with one
# retake, and a written one.
PLAN = [
    {"position": 0, "prompt": "Practice: say hello.", "prep_seconds": 1, "answer_seconds": 3,
     "retakes": 1, "kind": "video", "max_characters": None, "is_practice": True},
    {"position": 1, "prompt": "Tell us about a project you are proud of.", "prep_seconds": 1,
     "answer_seconds": 6, "retakes": 1, "kind": "video", "max_characters": None,
     "is_practice": False},
    {"position": 2, "prompt": "Why this role?", "prep_seconds": 0, "answer_seconds": 120,
     "retakes": 0, "kind": "text", "max_characters": 200, "is_practice": False},
]


@pytest.fixture(scope="session")
def playwright():
    need("Chromium", shutil.which(CHROMIUM) is not None)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as instance:
        yield instance


def launch(playwright, *args):
    return playwright.chromium.launch(executable_path=CHROMIUM,
                                      args=["--no-sandbox", "--disable-gpu", *args])


@pytest.fixture(scope="session")
def browser(playwright):
    """Chromium whose camera and microphone are fakes it may always use."""
    launched = launch(playwright, *FAKE_MEDIA)
    yield launched
    launched.close()


@pytest.fixture
def live(pg_database_url, tmp_path):
    """The app served on 127.0.0.1 by a real HTTP server; Greenhouse faked by responses."""
    port = free_port()
    settings = Settings(env="test", database_url=pg_database_url,
                        secret_keys=(Fernet.generate_key().decode(),),
                        public_base_url=f"http://127.0.0.1:{port}", data_dir=tmp_path,
                        allow_private_ats_hosts=True)
    services = install(build_services(settings, synchronous_jobs=True))
    from connector.app import create_app

    app = create_app(services=services)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(f"http://127.0.0.1:{port}")
        greenhouse = FakeGreenhouse(mock)
        thread.start()
        yield Live(services, app, greenhouse, settings.public_base_url)
        server.shutdown()
    services.close()


class Live:
    def __init__(self, services, app, greenhouse, base_url):
        self.services, self.app, self.greenhouse, self.base_url = services, app, greenhouse, base_url

    def invite(self, plan=PLAN) -> str:
        """Invite the documented example's candidate; returns the personal link."""
        installation = make_installation(self.services, ["Assessment"])
        client = self.app.test_client()
        signed_post(client, installation, fixture_body("greenhouse", "candidate_stage_change"))
        with self.services.db.session() as session:
            email = session.scalars(select(Email)).one()
            session.scalars(select(Interview)).one().plan = plan
        return re.search(r"http://127\.0\.0\.1:\d+/interview/[A-Za-z0-9_-]{43}", email.text_body)[0]

    def interview(self) -> Interview:
        with self.services.db.session() as session:
            interview = session.scalars(select(Interview)).one()
            interview.answers  # load them while the session is open
            return interview


@pytest.fixture
def phone(browser):
    """A phone-sized page that may use the (fake) camera and microphone."""
    context = browser.new_context(viewport=PHONE, permissions=["camera", "microphone"])
    page = context.new_page()
    page.set_default_timeout(20_000)
    # Shown with a failing test: what the page itself said went wrong.
    page.on("console", lambda m: print(f"console.{m.type}: {m.text}"))
    page.on("pageerror", lambda e: print(f"pageerror: {e}"))
    yield page
    context.close()
