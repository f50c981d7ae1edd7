"""Details of the admin pages a newcomer meets first, signed in as the sandbox's admin: form
fields styled alike, the sandbox named once in the top bar, the practice question labelled
once, and a sign-in page for admins and reviewers alike."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from connector.models import InterviewTemplate
from connector.sandbox import board
from connector.sandbox.seed import ADMIN_EMAIL, seed
from tests.admin.conftest import csrf_token
from tests.admin.template_forms import save, templates_of

ADMIN_CSS = Path(__file__).parents[2] / "connector" / "static" / "admin.css"
OWN_LOOK = {"hidden", "radio", "checkbox"}  # inputs the browser draws its own way


@pytest.fixture
def settings(settings):
    return replace(settings, sandbox=True)


@pytest.fixture
def sandbox_admin(app, services):
    """The seeded sandbox's admin, signed in, as `connector serve` prints them."""
    with services.db.session() as db:
        password = seed(db, services.keyring, services.settings.public_base_url).admin_password
    client = app.test_client()
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code in (302, 303)
    return client


@pytest.fixture
def sandbox_installation_id(services, sandbox_admin) -> int:
    with services.db.session() as db:
        return board.installation_of(db).id


def unstyled_inputs(html: str) -> list[str]:
    """The page's text fields that admin.css's rule for text fields does not reach."""
    css = ADMIN_CSS.read_text(encoding="utf-8")
    selectors = next(s for s in re.findall(r"([^{}]+)\{", css) if "input[type=text]" in s)
    styled = set(re.findall(r"input\[type=([\w-]+)\]", selectors)) | OWN_LOOK
    untyped_styled = "input:not([type])" in selectors
    missed = []
    for tag in re.findall(r"<input\b[^>]*>", html):
        kind = re.search(r'\btype="([^"]*)"', tag)
        if (kind[1] in styled) if kind else untyped_styled:
            continue
        missed.append(tag)
    return missed


def test_what_goes_back_is_styled_like_the_other_fields(sandbox_admin, sandbox_installation_id):
    base = f"/admin/installations/{sandbox_installation_id}"
    for path in (base, f"{base}/setup/results", "/admin/installations/new/sandbox"):
        response = sandbox_admin.get(path)
        assert response.status_code == 200, path
        assert unstyled_inputs(response.get_data(as_text=True)) == [], path


def top_bar(client) -> str:
    html = client.get("/admin/installations").get_data(as_text=True)
    return re.search(r"<header.*?</header>", html, re.S)[0]


def test_the_top_bar_names_the_sandbox_once_and_links_its_board(sandbox_admin):
    bar = top_bar(sandbox_admin)
    text = " ".join(re.sub(r"<[^>]+>", " ", bar).split())
    assert text.count("Sandbox") == 1, text
    assert re.search(r'<a href="/sandbox">Hiring board</a>', bar)


def test_no_board_link_for_another_organization_or_with_the_sandbox_off(
        sandbox_admin, admin_client, services, monkeypatch):
    assert 'href="/sandbox"' not in top_bar(admin_client("Acme"))
    monkeypatch.setattr(services, "settings", replace(services.settings, sandbox=False))
    assert sandbox_admin.get("/sandbox").status_code == 404
    assert 'href="/sandbox"' not in top_bar(sandbox_admin)


def test_a_practice_prompt_that_says_so_is_labelled_once(sandbox_admin, admin_client, services):
    with services.db.session() as db:
        built_in_id = db.scalar(select(InterviewTemplate.id).where(InterviewTemplate.is_builtin))
    built_in = sandbox_admin.get(f"/admin/templates/{built_in_id}").get_data(as_text=True)
    assert "Practice: tell us what you had for breakfast." in built_in
    assert "<strong>Practice:</strong>" not in built_in

    acme = admin_client("Acme")
    assert save(acme, **{"questions-0-prompt": "Say hello."}).status_code == 303
    own = acme.get(f"/admin/templates/{templates_of(services)[-1].id}").get_data(as_text=True)
    assert "<strong>Practice:</strong> Say hello." in own


def test_the_sign_in_page_speaks_to_admins_and_reviewers(client):
    html = client.get("/login").get_data(as_text=True)
    assert re.search(r"<h1>Sign in</h1>", html)
    assert re.search(r"<p[^>]*>Admins [^<]*; reviewers [^<]*</p>", html)
