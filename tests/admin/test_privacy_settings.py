"""The privacy settings page (retention, erasure wait, access log, contact, what is purged next)
and a template's own retention period in the editor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from connector import crypto
from connector.models import (
    Installation, Interview, InterviewState, InterviewTemplate, Organization, Role, utcnow,
)
from tests.admin.conftest import post_form
from tests.admin.template_forms import error_of, save, templates_of
from tests.conftest import make_installation, row_counts

PATH = "/admin/privacy/settings"
DAY = timedelta(days=1)
VALID = {"retention_days": "90", "erasure_wait_days": "3", "access_log_days": "365",
         "privacy_contact": "privacy@acme.example"}


def settings_of(services, name: str = "Acme") -> tuple:
    with services.db.session() as session:
        org = session.scalars(select(Organization).where(Organization.name == name)).one()
        return (org.retention_days, org.erasure_wait_days, org.access_log_days,
                org.privacy_contact)


def submit(client, **changes):
    return post_form(client, PATH, {**VALID, **changes}, token_from=PATH)


def test_an_admin_sees_the_defaults_and_saves_new_settings(admin_client, services):
    admin = admin_client("Acme")
    html = admin.get(PATH).get_data(as_text=True)
    assert 'value="180"' in html and 'value="7"' in html and 'value="730"' in html

    response = submit(admin)

    assert response.status_code == 303 and response.location.endswith(PATH)
    assert settings_of(services) == (90, 3, 365, "privacy@acme.example")
    assert submit(admin, privacy_contact="").status_code == 303
    assert settings_of(services)[3] is None


INVALID = {
    "retention too short": ({"retention_days": "29"}, "retention_days", "Between 30 and 730"),
    "retention too long": ({"retention_days": "731"}, "retention_days", "Between 30 and 730"),
    "retention missing": ({"retention_days": ""}, "retention_days", "Enter a number of days"),
    "retention words": ({"retention_days": "half a year"}, "retention_days", "whole number"),
    "wait zero": ({"erasure_wait_days": "0"}, "erasure_wait_days", "Between 1 and 30"),
    "wait too long": ({"erasure_wait_days": "31"}, "erasure_wait_days", "Between 1 and 30"),
    "log too short": ({"access_log_days": "89"}, "access_log_days", "Between 90 and 3650"),
    "contact not an address": ({"privacy_contact": "privacy at acme"}, "privacy_contact",
                               "e-mail address"),
}


@pytest.mark.parametrize("case", INVALID.values(), ids=INVALID.keys())
def test_bad_input_is_400_by_its_field_and_writes_nothing(admin_client, services, case):
    changes, field, message = case
    admin = admin_client("Acme")
    before = row_counts(services)

    response = submit(admin, **changes)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in error_of(html, field), html[:2000]
    assert "Nothing was saved" in html
    assert row_counts(services) == before
    assert settings_of(services) == (180, 7, 730, None)


def test_a_form_without_its_csrf_token_is_refused(admin_client, services):
    admin = admin_client("Acme")
    assert admin.post(PATH, data=VALID).status_code == 400
    assert settings_of(services) == (180, 7, 730, None)


def test_settings_and_the_purge_list_belong_to_one_organization(admin_client, services):
    acme, globex = admin_client("Acme"), admin_client("Globex")
    ours = settled_interview(services, "Acme", days_ago=175)
    theirs = settled_interview(services, "Globex", days_ago=175)

    assert submit(globex, retention_days="400").status_code == 303

    assert settings_of(services, "Acme") == (180, 7, 730, None)
    html = acme.get(PATH).get_data(as_text=True)
    assert ours in html and theirs not in html
    assert theirs in globex.get(PATH).get_data(as_text=True)


def test_a_reviewer_gets_404(user_client, services):
    reviewer = user_client("Acme", Role.REVIEWER)
    assert reviewer.get(PATH).status_code == 404
    assert post_form(reviewer, PATH, VALID).status_code == 404
    assert settings_of(services) == (180, 7, 730, None)


def test_the_page_lists_what_is_purged_next_soonest_first(admin_client, services):
    admin = admin_client("Acme")
    later = settled_interview(services, "Acme", days_ago=160)  # due in 20 days
    sooner = settled_interview(services, "Acme", days_ago=178)  # due in 2 days
    settled_interview(services, "Acme", days_ago=10, state=InterviewState.INVITED)  # open
    requested = settled_interview(services, "Acme", days_ago=1, erasure_in_days=1)

    html = admin.get(PATH).get_data(as_text=True)

    assert html.index(requested) < html.index(sooner) < html.index(later)
    assert "the candidate&#39;s request" in html and "retention period" in html
    assert "2 interviews within 7 days,\n  3 within 30 days." in html


def settled_interview(services, organization: str, days_ago: int,
                      state: InterviewState = InterviewState.COMPLETED,
                      erasure_in_days: int | None = None) -> str:
    """An interview of the organization settled `days_ago`; returns its public id."""
    installation = _installation(services, organization)
    now = utcnow()
    with services.db.session() as session:
        builtin = session.scalar(select(InterviewTemplate.id).where(
            InterviewTemplate.is_builtin))
        public_id = crypto.new_public_id("ses")
        session.add(Interview(
            public_id=public_id, installation_id=installation, template_id=builtin,
            ats_application_id=public_id, ats_candidate_id="1", stage_entry="manual:x",
            candidate_name="Someone", candidate_email="someone@example.com", job_title="Job",
            state=state, token_hash=crypto.hash_token(crypto.new_token()), token_encrypted="",
            deadline_at=now,
            settled_at=now - days_ago * DAY if state is InterviewState.COMPLETED else None,
            erasure_due_at=now + erasure_in_days * DAY if erasure_in_days else None))
    return public_id


def _installation(services, organization: str) -> int:
    with services.db.session() as session:
        found = session.scalar(select(Installation.id).join(Organization).where(
            Organization.name == organization))
    return found or make_installation(services, ["Assessment"], organization=organization,
                                      name=f"{organization} Greenhouse")["id"]


# --- a template's own period ------------------------------------------------------------------

def test_a_template_keeps_its_own_period_or_the_organizations(admin_client, services):
    admin = admin_client("Acme")
    assert save(admin, retention_days="45").status_code == 303
    assert templates_of(services)[0].retention_days == 45
    assert save(admin, name="Default keep", retention_days="").status_code == 303
    assert {t.name: t.retention_days for t in templates_of(services)}["Default keep"] is None


@pytest.mark.parametrize("days", ["29", "731", "soon"])
def test_a_template_period_out_of_bounds_is_400_and_writes_nothing(admin_client, services, days):
    admin = admin_client("Acme")
    before = row_counts(services)
    response = save(admin, retention_days=days)
    assert response.status_code == 400
    assert "days" in error_of(response.get_data(as_text=True), "retention_days")
    assert row_counts(services) == before
