"""The template editor: create, edit, copy; validation; versions and pinned plans; tenancy."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector.interviews import plan_of
from connector.models import Interview, InterviewTemplate, Organization, Role
from tests.admin.template_forms import (
    ANCHORS, LOGO, builtin_id, created, edit, error_of, invite, save, templates_of, valid_form,
)
from tests.admin.conftest import post_form
from tests.conftest import row_counts


# --- create, edit, copy -----------------------------------------------------------------------

def test_an_admin_creates_a_template_with_every_field(admin, services):
    response = save(admin)
    assert response.status_code == 303 and response.location.endswith("/admin/templates")
    [template] = templates_of(services)
    assert (template.name, template.version, template.deadline_hours,
            template.reminder_hours) == ("Support screen", 1, 96, 12)
    assert (template.logo_url, template.brand_color) == (LOGO, "#0b6e4f")
    assert (template.consent_text, template.consent_version) == (
        "Acme keeps your answers for 90 days.", "2024-05")
    assert template.welcome_video_url == "https://cdn.acme.example/hi.mp4"
    assert template.rubric == [{"name": "Empathy", "anchors": ANCHORS}]
    assert [(q.position, q.prompt, q.answer_kind.value, q.is_practice, q.max_characters)
            for q in template.questions] == [
        (0, "Practice: say hello.", "video", True, None),
        (1, "Why support?", "video", False, None),
        (2, "Reply to an angry customer.", "text", False, 800)]
    listed = admin.get("/admin/templates").get_data(as_text=True)
    assert "Support screen" in listed and "Default screen" in listed


def test_the_editor_form_shows_the_saved_values(admin, services):
    template = created(admin, services)
    html = admin.get(f"/admin/templates/{template.id}/edit").get_data(as_text=True)
    assert 'value="Reply to an angry customer."' not in html  # a textarea, not an input
    assert ">Reply to an angry customer.</textarea>" in html
    assert f'value="{LOGO}"' in html and f'<img class="logo-preview" src="{LOGO}"' in html
    assert 'name="rubric-0-anchor-5"' in html and 'value="Compelling."' in html


def test_adding_a_question_without_javascript_shows_a_new_row_and_saves_nothing(admin,
                                                                               services):
    before = row_counts(services)
    response = post_form(admin, "/admin/templates/new",
                         {**valid_form(), "action": "add-question"},
                         token_from="/admin/templates/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="questions-3-prompt"' in html and "Question 4" in html
    assert row_counts(services) == before


def test_order_numbers_reorder_and_remove_drops_questions(admin, services):
    template = created(admin, services, **{
        "questions-1-order": "3", "questions-2-order": "2"})
    assert [q.prompt for q in template.questions] == [
        "Practice: say hello.", "Reply to an angry customer.", "Why support?"]
    response = edit(admin, template.id, 1, **{"questions-0-remove": "yes"})
    assert response.status_code == 303
    [edited] = templates_of(services)
    assert [(q.position, q.prompt) for q in edited.questions] == [
        (1, "Why support?"), (2, "Reply to an angry customer.")]


def test_saving_an_edit_bumps_the_version(admin, services):
    template = created(admin, services)
    response = edit(admin, template.id, 1, name="Support screen v2",
                    **{"questions-1-prompt": "Why customer support?"})
    assert response.status_code == 303
    [edited] = templates_of(services)
    assert (edited.name, edited.version) == ("Support screen v2", 2)
    assert edited.questions[1].prompt == "Why customer support?"


def test_a_stale_form_is_refused_with_409_and_nothing_written(admin, services):
    template = created(admin, services)
    assert edit(admin, template.id, 1, name="First edit").status_code == 303
    before = row_counts(services)
    response = edit(admin, template.id, 1, name="Second edit from an old tab")
    assert response.status_code == 409
    assert "Someone saved this template" in response.get_data(as_text=True)
    assert row_counts(services) == before
    assert templates_of(services)[0].name == "First edit"


def test_copying_the_builtin_template_makes_an_editable_copy(admin, services):
    source = builtin_id(services)
    response = post_form(admin, f"/admin/templates/{source}/copy",
                         token_from="/admin/templates")
    assert response.status_code == 303
    [copy] = templates_of(services)
    assert response.location.endswith(f"/admin/templates/{copy.id}/edit")
    assert (copy.name, copy.version, copy.is_builtin) == ("Copy of Default screen", 1, False)
    with services.db.session() as db:
        builtin = db.get(InterviewTemplate, source)
        assert copy.rubric == builtin.rubric and len(copy.rubric) == 3
        assert plan_of(copy) != [] and [
            {k: v for k, v in q.items() if k != "question_id"} for q in plan_of(copy)] == [
            {k: v for k, v in q.items() if k != "question_id"} for q in plan_of(builtin)]
        assert copy.organization_id == db.scalar(
            select(Organization.id).where(Organization.name == "Acme"))
    assert admin.get(f"/admin/templates/{copy.id}/edit").status_code == 200


def test_copying_an_own_template(admin, services):
    template = created(admin, services)
    response = post_form(admin, f"/admin/templates/{template.id}/copy",
                         token_from="/admin/templates")
    assert response.status_code == 303
    original, copy = templates_of(services)
    assert copy.name == "Copy of Support screen" and copy.brand_color == "#0b6e4f"
    assert [q.prompt for q in copy.questions] == [q.prompt for q in original.questions]


def test_the_builtin_template_is_shown_read_only_and_cannot_be_edited(admin, services):
    source = builtin_id(services)
    page = admin.get(f"/admin/templates/{source}")
    assert page.status_code == 200 and "read-only" in page.get_data(as_text=True)
    before = row_counts(services)
    assert admin.get(f"/admin/templates/{source}/edit").status_code == 404
    assert edit(admin, source, 1, name="Hijacked").status_code == 404
    assert row_counts(services) == before
    with services.db.session() as db:
        assert db.get(InterviewTemplate, source).name == "Default screen"


# --- invalid input ----------------------------------------------------------------------------

INVALID = {
    "missing prompt": ({"questions-1-prompt": ""}, "questions-1-prompt", "Write the question."),
    "four anchors": ({"rubric-0-anchor-5": None}, "rubric-0-anchors", "exactly 5 anchors"),
    "blank anchor": ({"rubric-0-anchor-3": " "}, "rubric-0-anchor-3", "Describe this level"),
    "colour word": ({"brand_color": "green"}, "brand_color", "six hexadecimal digits"),
    "colour css": ({"brand_color": "#fff;}a"}, "brand_color", "six hexadecimal digits"),
    "javascript logo": ({"logo_url": "javascript:alert(1)"}, "logo_url", "https://"),
    "javascript video": ({"welcome_video_url": "javascript:alert(1)"}, "welcome_video_url",
                         "https://"),
    "http logo": ({"logo_url": "http://cdn.acme.example/logo.png"}, "logo_url", "https://"),
    "prep too long": ({"questions-1-prep_seconds": "301"}, "questions-1-prep_seconds",
                      "Between 0 and 300 seconds."),
    "answer too short": ({"questions-1-answer_seconds": "5"}, "questions-1-answer_seconds",
                         "Between 10 and 1800 seconds."),
    "recorded too long": ({"questions-1-answer_seconds": "900"}, "questions-1-answer_seconds",
                          "at most 600 seconds"),
    "deadline too short": ({"deadline_hours": "12"}, "deadline_hours",
                           "Between 24 and 336 hours."),
    "deadline too long": ({"deadline_hours": "400"}, "deadline_hours",
                          "Between 24 and 336 hours."),
    "reminder after deadline": ({"reminder_hours": "96"}, "reminder_hours",
                                "before the deadline"),
    "not a number": ({"questions-1-retakes": "two"}, "questions-1-retakes", "whole number"),
    "text without limit": ({"questions-2-max_characters": ""}, "questions-2-max_characters",
                           "maximum number of characters"),
    "version without text": ({"consent_text": ""}, "consent_text", "Write the consent text"),
    "no name": ({"name": "  "}, "name", "Name the template."),
    "practice not first": ({"questions-0-order": "9"}, "question_set", "comes first"),
}


@pytest.mark.parametrize("case", INVALID.values(), ids=INVALID.keys())
def test_invalid_input_on_create_is_400_shown_by_its_field_and_writes_nothing(admin, services,
                                                                            case):
    changes, field_id, message = case
    before = row_counts(services)
    response = save(admin, **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in error_of(html, field_id), html[:3000]
    assert "Nothing was saved" in html
    assert row_counts(services) == before


@pytest.mark.parametrize("case", [INVALID[k] for k in (
    "missing prompt", "four anchors", "colour css", "javascript logo", "deadline too long")],
    ids=["missing prompt", "four anchors", "colour css", "javascript logo", "deadline"])
def test_invalid_input_on_edit_is_400_and_leaves_the_template_as_it_was(admin, services, case):
    changes, field_id, message = case
    template = created(admin, services)
    before = row_counts(services)
    response = edit(admin, template.id, 1, **changes)
    assert response.status_code == 400
    assert message in error_of(response.get_data(as_text=True), field_id)
    assert row_counts(services) == before
    [unchanged] = templates_of(services)
    assert (unchanged.version, unchanged.logo_url, unchanged.deadline_hours) == (1, LOGO, 96)
    assert [q.prompt for q in unchanged.questions] == [q.prompt for q in template.questions]


def test_a_changed_consent_text_needs_a_new_version(admin, services):
    template = created(admin, services)
    response = edit(admin, template.id, 1, consent_text="We keep answers for a year.")
    assert response.status_code == 400
    assert "new version" in error_of(response.get_data(as_text=True), "consent_version")
    assert edit(admin, template.id, 1, consent_text="We keep answers for a year.",
                consent_version="2024-06").status_code == 303


# --- versions and pinned plans ----------------------------------------------------------------

def test_an_edit_leaves_the_plan_and_rubric_of_sessions_already_created(
        admin, client, services, installation, greenhouse):
    template = created(admin, services)
    before = invite(client, services, installation, template.id, 1001)
    assert before.template_version == 1 and before.plan == plan_of(template)
    response = edit(admin, template.id, 1, **{
        "questions-1-prompt": "What draws you to support?", "questions-2-remove": "yes",
        "rubric-0-name": "Patience"})
    assert response.status_code == 303
    with services.db.session() as db:
        kept = db.get(Interview, before.id)
        assert kept.plan == before.plan and kept.template_version == 1
        assert kept.rubric == [{"name": "Empathy", "anchors": ANCHORS}]
    after = invite(client, services, installation, template.id, 1002)
    assert after.template_version == 2
    assert [q["prompt"] for q in after.plan] == ["Practice: say hello.",
                                                 "What draws you to support?"]
    assert after.rubric[0]["name"] == "Patience"


# --- who may use the editor -------------------------------------------------------------------

def test_another_organizations_admin_gets_404_everywhere_and_sees_nothing(admin, admin_client,
                                                                          services):
    template = created(admin, services)
    other = admin_client("Globex")
    listed = other.get("/admin/templates").get_data(as_text=True)
    assert "Support screen" not in listed and "Default screen" in listed
    before = row_counts(services)
    base = f"/admin/templates/{template.id}"
    assert other.get(base).status_code == 404
    assert other.get(base + "/edit").status_code == 404
    assert edit(other, template.id, 1, name="Taken over").status_code == 404
    assert post_form(other, base + "/copy", token_from="/admin/templates").status_code == 404
    assert row_counts(services) == before
    assert templates_of(services)[0].name == "Support screen"


def test_a_reviewer_gets_404(admin, user_client, services):
    template = created(admin, services)
    reviewer = user_client("Acme", Role.REVIEWER)
    before = row_counts(services)
    for path in ("/admin/templates", "/admin/templates/new", f"/admin/templates/{template.id}",
                 f"/admin/templates/{template.id}/edit"):
        assert reviewer.get(path).status_code == 404, path
    assert post_form(reviewer, f"/admin/templates/{template.id}/copy",
                     token_from="/account").status_code == 404
    assert post_form(reviewer, "/admin/templates/new", valid_form(),
                     token_from="/account").status_code == 404
    assert row_counts(services) == before


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/admin/templates")
    assert response.status_code == 302 and "/login" in response.location
