"""The landing page, the invitation and the reminder say who holds the data, why, how long,
and whom to ask."""

from __future__ import annotations

import re

from sqlalchemy import select

from connector import notes
from connector.models import Email, Interview, Organization
from tests.conftest import fixture_body, signed_post

NO_AUTOMATED_SCORING = "no software scores you or analyses your face, voice or emotions"


def set_privacy(services, contact=None, organization_days=200, template_days=None):
    with services.db.session() as session:
        organization = session.scalars(select(Organization)).one()
        organization.privacy_contact, organization.retention_days = contact, organization_days
        interview = session.scalars(select(Interview)).first()
        if interview is not None:
            interview.template.retention_days = template_days


def before_consent(html: str) -> str:
    """The page above the consent form: what the candidate reads before agreeing."""
    return html[:html.index('<form class="consent"')]


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def test_the_landing_page_names_controller_purpose_retention_contact_before_consent(
        client, services, invited):
    set_privacy(services, contact="privacy@acme.test", template_days=45)
    text = plain(before_consent(client.get(f"/interview/{invited}").get_data(as_text=True)))
    assert "Acme, the controller of your data" in text
    assert "assessing your application for Designer" in text
    assert "45 days after the interview is decided, expired or cancelled" in text  # template's
    assert "200 days" not in text
    assert "privacy@acme.test" in text
    assert NO_AUTOMATED_SCORING in text.lower()
    assert "a copy of your data, have it erased and withdraw your consent" in text


def test_without_a_template_override_or_a_contact_the_organizations_days_and_a_reply(
        client, services, invited):
    set_privacy(services, contact=None, organization_days=200, template_days=None)
    text = plain(before_consent(client.get(f"/interview/{invited}").get_data(as_text=True)))
    assert "200 days after the interview is decided, expired or cancelled" in text
    assert "Questions about your data: reply to the invitation e-mail from Acme" in text


def test_the_consent_version_shown_after_agreeing_is_the_one_stored(
        client, services, candidate):
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        stored = interview.consent_version
        interview.template.consent_text, interview.template.consent_version = "New text", "v9"
    html = client.get(f"/interview/{candidate.token}/privacy").get_data(as_text=True)
    # "v9" alone could turn up inside the link's random token.
    assert f"policy version {stored}" in html and "policy version v9" not in html


def invited_with_a_notice(client, services, installation) -> None:
    """A candidate invited by an organization with a contact and a 120-day retention."""
    set_privacy(services, contact="dpo@acme.test", organization_days=120)
    signed_post(client, installation, fixture_body("greenhouse", "candidate_stage_change"))


def assert_notice(email: Email) -> None:
    """Both parts of the e-mail name controller, purpose, retention, contact, no automation."""
    for body in (email.text_body, plain(email.html_body)):
        assert "Acme is responsible for it (the controller)" in body
        assert "to assess your application for Designer" in body
        assert "120 days after the interview is decided, expired or cancelled" in body
        assert "Questions about your data: dpo@acme.test" in body
        assert NO_AUTOMATED_SCORING in body


def test_the_invitation_names_controller_purpose_retention_and_contact(
        client, services, installation, greenhouse):
    invited_with_a_notice(client, services, installation)
    with services.db.session() as session:
        email = session.scalars(select(Email)).one()
    assert_notice(email)


def test_the_reminder_repeats_the_notice(client, services, installation, greenhouse):
    invited_with_a_notice(client, services, installation)
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        email = notes.reminder_email(interview.installation, interview, "https://x.test/i/t")
    assert "A reminder: your video interview with Acme" in email.text_body
    assert_notice(email)
