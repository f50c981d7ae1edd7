"""The candidate pages showing a template's logo, brand colour and consent."""

from __future__ import annotations

import re

from sqlalchemy import select

from connector.candidate.branding import brand_css
from connector.models import Email, Interview
from tests.admin.template_forms import LOGO, created, edit, invite
from tests.conftest import fixture_body, signed_post


def test_the_candidate_page_shows_the_templates_logo_colour_and_consent(
        admin, client, services, installation, greenhouse):
    _template, token, html = _welcome(admin, client, services, installation, 2001)
    assert f'<img class="logo" src="{LOGO}"' in html
    assert f'href="/interview/{token}/brand.css"' in html
    assert "Acme keeps your answers for 90 days." in html and "Policy version 2024-05" in html
    css = client.get(f"/interview/{token}/brand.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "--brand: #0b6e4f;" in css.get_data(as_text=True)

    assert _agree(client, token, html).status_code == 303
    with services.db.session() as db:
        interview = db.scalars(select(Interview)).one()
        assert interview.consent_version == "2024-05"
        assert interview.consent_text == "Acme keeps your answers for 90 days."


def test_consent_is_refused_when_the_text_changed_after_the_page_was_shown(
        admin, client, services, installation, greenhouse):
    template, token, html = _welcome(admin, client, services, installation, 2002)
    assert edit(admin, template.id, 1, consent_text="New terms.",
                consent_version="2024-06").status_code == 303
    response = _agree(client, token, html)  # to the version the page showed
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "New terms." in page and "Policy version 2024-06" in page
    with services.db.session() as db:
        assert db.scalars(select(Interview)).one().consented_at is None


def test_without_template_branding_the_organization_logo_and_no_brand_sheet(
        client, services, installation, greenhouse):
    body = fixture_body("greenhouse", "candidate_stage_change")
    assert signed_post(client, installation, body).status_code == 200
    token = _token_of(services)
    html = client.get(f"/interview/{token}").get_data(as_text=True)
    assert "brand.css" not in html and 'class="logo"' not in html
    assert "Policy version builtin-1" in html
    assert client.get(f"/interview/{token}/brand.css").status_code == 404


def test_a_light_brand_colour_keeps_text_readable():
    light, dark = brand_css("ffe066"), brand_css("0b6e4f")
    assert "--brand-ink: #1d2330;" in light and "--accent" not in light
    assert "--brand-ink: #fff;" in dark and "--accent: #0b6e4f;" in dark


def _token_of(services) -> str:
    """The link in the latest invitation e-mail."""
    with services.db.session() as db:
        emails = db.scalars(select(Email).order_by(Email.id)).all()
        return re.search(r"/interview/([A-Za-z0-9_-]{43})", emails[-1].text_body)[1]


def _welcome(admin, client, services, installation, application_id: int):
    """A template of Acme's, an invitation from it, and its welcome page: (template, token, html)."""
    template = created(admin, services)
    invite(client, services, installation, template.id, application_id)
    token = _token_of(services)
    return template, token, client.get(f"/interview/{token}").get_data(as_text=True)


def _agree(client, token: str, html: str):
    """Consent to the version 2024-05, with the form token of the page shown."""
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html)[1]
    return client.post(f"/interview/{token}/consent", data={
        "agree": "yes", "consent_version": "2024-05", "csrf_token": csrf})
