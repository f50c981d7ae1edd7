"""The install wizard and installation settings, through the Flask client on both backends.

Greenhouse is faked with `responses` (token, the notes check, job interview stages); the test
event's POST to the installation's public URL is handed to the app itself, so it is verified,
stored and processed exactly as a real delivery.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
import requests
from sqlalchemy import select

from adapters.greenhouse import MANIFEST
from adapters.greenhouse.adapter import GreenhouseAdapter
from connector.admin import installs
from connector.models import Installation, InterviewTemplate, StageRule, WebhookDelivery
from tests.conftest import make_installation, row_counts
from tests.admin.fake_harvest import FORM, install, post
from tests.fakes.greenhouse import CLIENT_ID, CLIENT_SECRET, CREDENTIALS


# The list and the choice of ATS


def test_the_list_shows_the_organizations_installations_only(admin, services):
    ours = make_installation(services, ["Assessment"], name="Ours")
    make_installation(services, ["Assessment"], organization="Other", name="Theirs")
    with services.db.session() as db:
        row = db.get(Installation, ours["id"])
        row.status, row.attention_reason = "needs_attention", "Greenhouse answered 401"
    html = admin.get("/admin/installations").get_data(as_text=True)
    assert "Ours" in html and "Theirs" not in html
    assert "Needs attention" in html and "Greenhouse answered 401" in html
    assert f"https://connector.test/webhooks/greenhouse/{ours['public_id']}" in html
    assert "Connect an ATS" in html


def test_the_choice_lists_whatever_the_registry_holds(admin, monkeypatch, tmp_path):
    kanban = dataclasses.replace(MANIFEST, key="kanban", name="Kanban ATS",
                                 folder=tmp_path / "kanban")
    monkeypatch.setattr(installs, "ADAPTERS", [MANIFEST, kanban])
    html = admin.get("/admin/installations/new").get_data(as_text=True)
    assert "/admin/installations/new/greenhouse" in html and ">Greenhouse<" in html
    assert "/admin/installations/new/kanban" in html and "Kanban ATS" in html


def test_the_credentials_form_has_the_adapters_fields(admin):
    html = admin.get("/admin/installations/new/greenhouse").get_data(as_text=True)
    for field in MANIFEST.credentials:  # as the manifest names and labels them
        assert f'name="{field.key}"' in html and field.label in html
    assert 'name="api_key"' not in html  # Harvest v3 takes no API key
    assert 'name="client_secret"' in html and 'type="password"' in html
    assert admin.get("/admin/installations/new/nonesuch").status_code == 404


# The whole wizard


def test_each_step_of_the_wizard(admin, services, harvest):
    installation_id = install(admin, services)
    with services.db.session() as db:
        row = db.get(Installation, installation_id)
        assert CLIENT_SECRET not in row.credentials_encrypted  # encrypted at rest
        assert services.keyring.decrypt_json(row.credentials_encrypted) == CREDENTIALS
        secret = services.keyring.decrypt(row.webhook_secret_encrypted)
        public_id = row.public_id
    assert [c for c in harvest.calls if "/v3/notes" in c[1]]  # the live check happened
    step = f"/admin/installations/{installation_id}/setup"

    webhook = admin.get(f"{step}/webhook").get_data(as_text=True)
    assert f"https://connector.test/webhooks/greenhouse/{public_id}" in webhook
    assert secret in webhook and 'data-copy="webhook-secret"' in webhook
    assert "Configure → Dev Center → Web Hooks" in webhook
    assert "Candidate has changed stage" in webhook

    stages = admin.get(f"{step}/stages").get_data(as_text=True)
    assert stages.count('value="Async screen"') == 1 and "(in 2 jobs)" in stages
    assert 'value="Onsite"' in stages and "Old stage" not in stages
    response = post(admin, f"{step}/stages", stage="Async screen", stages_text="Phone screen\n")
    assert response.headers["Location"].endswith(f"{step}/template")

    acme_template, other_template = add_templates(services)
    page = admin.get(f"{step}/template").get_data(as_text=True)
    assert "Acme questions" in page and "(built in)" in page and "Other questions" not in page
    assert post(admin, f"{step}/template", template_id=acme_template).status_code == 302

    results = admin.get(f"{step}/results").get_data(as_text=True)
    assert 'value="admin_only"' in results and 'value="public"' in results
    assert '<option value="21"' in results  # each job's stage id, for the move
    response = post(admin, f"{step}/results", note_visibility="private",
                    custom_field="async_score", decision_strong_yes="12", decision_yes="12",
                    decision_no="", decision_strong_no="")
    assert response.headers["Location"].endswith(f"{step}/test")

    with services.db.session() as db:
        row = db.get(Installation, installation_id)
        assert [(r.stage, r.template_id) for r in row.stage_rules] == [
            ("Async screen", acme_template), ("Phone screen", acme_template)]
        assert row.options["note_visibility"] == "private"
        assert row.options["custom_field"] == "async_score"
        assert row.options["decision_stages"] == {"strong_yes": "12", "yes": "12"}

    response = post(admin, f"/admin/installations/{installation_id}/setup/finish")
    assert response.headers["Location"].endswith(f"/admin/installations/{installation_id}")
    assert secret not in admin.get(f"{step}/webhook").get_data(as_text=True)
    settings = admin.get(f"/admin/installations/{installation_id}").get_data(as_text=True)
    assert public_id in settings and secret not in settings
    assert 'value="Async screen" checked' in settings


def test_the_test_event_is_verified_stored_and_processed_and_writes_nothing(
        admin, services, harvest):
    installation_id = install(admin, services)
    post(admin, f"/admin/installations/{installation_id}/setup/stages", stage="Async screen")
    response = post(admin, f"/admin/installations/{installation_id}/test-event")
    assert response.status_code == 302
    token = re.search(r"token=([0-9a-f]{32})", response.headers["Location"])[1]

    status = admin.get(f"/admin/installations/{installation_id}/test-event/{token}").get_json()
    assert status["state"] == "arrived", status
    with services.db.session() as db:
        delivery = db.scalars(select(WebhookDelivery)).one()
        assert delivery.installation_id == installation_id
        assert delivery.action == "candidate_stage_change"
        assert delivery.status.value == "ignored" and delivery.outcome == "stage_not_mapped"
    assert status["delivery"]["id"] == delivery.id
    assert harvest.writes() == []  # no note, no field, no move for the fake application
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/test-event/{token}" in page


def test_a_test_event_the_webhook_refuses_is_reported(admin, services, harvest, monkeypatch):
    installation_id = install(admin, services)
    monkeypatch.setattr(GreenhouseAdapter, "sign", classmethod(
        lambda cls, body, secret: {"Content-Type": "application/json", "Signature": "sha256 00"}))
    token = re.search(r"token=(\w+)", post(
        admin, f"/admin/installations/{installation_id}/test-event").headers["Location"])[1]
    status = admin.get(f"/admin/installations/{installation_id}/test-event/{token}").get_json()
    assert status == {"state": "failed", "done": True, "message":
                      "Not delivered: the webhook URL answered 401 (bad_signature)."}
    assert row_counts(services)["webhook_deliveries"] == 0


def test_an_unreachable_webhook_url_is_reported(admin, services, harvest, monkeypatch):
    installation_id = install(admin, services)

    def refuse(*args, **kwargs):
        raise requests.ConnectionError("refused")

    monkeypatch.setattr("jobs.test_events.requests.post", refuse)
    token = re.search(r"token=(\w+)", post(
        admin, f"/admin/installations/{installation_id}/test-event").headers["Location"])[1]
    status = admin.get(f"/admin/installations/{installation_id}/test-event/{token}").get_json()
    assert status["state"] == "failed" and "could not reach https://connector.test" in \
        status["message"]


# Credentials that do not work: a clear 400 and nothing written


@pytest.mark.parametrize("scenario, expected", [
    ("401", "Greenhouse refused these credentials (401)."),
    ("403", "Greenhouse refused a call these credentials need (403): these credentials may "
            "not list notes"),
    ("unreachable", "Could not reach Greenhouse"),
])
def test_credentials_greenhouse_refuses_write_nothing(admin, services, harvest, monkeypatch,
                                                      scenario, expected):
    if scenario == "401":
        form = {**FORM, "client_secret": "wrong"}
    else:
        form = dict(FORM)
    if scenario == "403":
        harvest.notes_status = 403
    if scenario == "unreachable":
        form["token_url"] = "https://eu.auth.greenhouse.io/token"  # nothing answers there
    before = row_counts(services)
    response = post(admin, "/admin/installations/new/greenhouse", **form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert expected in html.replace("&#39;", "'")
    assert row_counts(services) == before
    assert "wrong" not in html and CLIENT_SECRET not in html  # secrets are not echoed back


def test_malformed_credentials_are_refused_before_calling_greenhouse(admin, services, harvest):
    before = row_counts(services)
    response = post(admin, "/admin/installations/new/greenhouse", name="",
                    client_id=CLIENT_ID, user_id="ann")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "A name is required." in html
    assert "client_id and client_secret go together" in html
    assert "user_id must be the numeric id" in html
    assert harvest.calls == [] and row_counts(services) == before


def test_an_api_base_url_off_greenhouse_is_refused_in_production(admin, services, harvest,
                                                                 monkeypatch):
    monkeypatch.setattr(services, "settings", dataclasses.replace(services.settings,
                                                                  env="production"))
    assert services.settings.production
    response = post(admin, "/admin/installations/new/greenhouse", **FORM,
                    api_base_url="https://evil.example")
    assert response.status_code == 400 and "host not allowed" in response.get_data(as_text=True)


def test_a_taken_name_is_refused(admin, services, harvest):
    install(admin, services)
    before = row_counts(services)
    response = post(admin, "/admin/installations/new/greenhouse", **FORM)
    assert response.status_code == 400
    assert "already has an installation" in response.get_data(as_text=True)
    assert row_counts(services) == before


# Stages the ATS will not list, and bad choices


def test_stages_that_cannot_be_listed_are_typed(admin, services, harvest):
    installation_id = install(admin, services)
    harvest.stages_status = 403
    step = f"/admin/installations/{installation_id}/setup/stages"
    html = admin.get(step).get_data(as_text=True)
    assert "The stages could not be listed" in html and "(403)" in html
    assert 'name="stage"' not in html and 'name="stages_text"' in html
    typed = "Async screen\n\n  async SCREEN \nOnsite"
    assert post(admin, step, stages_text=typed).status_code == 302
    with services.db.session() as db:
        assert [r.stage for r in db.scalars(select(StageRule))] == ["Async screen", "Onsite"]


@pytest.mark.parametrize("step, data, message", [
    ("stages", {"stages_text": "  \n"}, "Choose at least one trigger stage."),
    ("template", {"template_id": "OTHER"}, "Choose one of the listed templates."),
    ("results", {"note_visibility": "everyone"},
     "Note visibility: Must be one of: admin_only, private, public."),
    ("results", {"note_visibility": "public", "custom_field": "a b"},
     "Custom field: a field key is letters, digits"),
])
def test_bad_choices_get_a_400_and_change_nothing(admin, services, harvest, step, data, message):
    installation_id = install(admin, services)
    post(admin, f"/admin/installations/{installation_id}/setup/stages", stage="Onsite")
    _acme, other = add_templates(services)
    data = {k: (str(other) if v == "OTHER" else v) for k, v in data.items()}
    before = snapshot(services, installation_id)
    response = post(admin, f"/admin/installations/{installation_id}/setup/{step}", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(services, installation_id) == before


def test_settings_save_and_return_to_the_settings_page(admin, services, harvest):
    installation_id = install(admin, services)
    response = post(admin, f"/admin/installations/{installation_id}/setup/stages",
                    stage="Onsite", return_to="settings")
    assert response.headers["Location"].endswith(f"/admin/installations/{installation_id}")
    html = admin.get(f"/admin/installations/{installation_id}").get_data(as_text=True)
    assert 'value="Onsite" checked' in html and "secret_actions" not in html


# Helpers


def add_templates(services) -> tuple[int, int]:
    """A template of Acme's and one of another organization's; their ids."""
    from connector.models import Organization

    with services.db.session() as db:
        acme = db.scalar(select(Organization).where(Organization.name == "Acme"))
        other = db.scalar(select(Organization).where(Organization.name == "Other"))
        if other is None:
            other = Organization(name="Other")
            db.add(other)
            db.flush()
        rows = [InterviewTemplate(organization_id=acme.id, name="Acme questions"),
                InterviewTemplate(organization_id=other.id, name="Other questions")]
        db.add_all(rows)
        db.flush()
        return rows[0].id, rows[1].id


def snapshot(services, installation_id: int) -> tuple:
    with services.db.session() as db:
        row = db.get(Installation, installation_id)
        return ([(r.stage, r.template_id) for r in row.stage_rules], dict(row.options or {}))

