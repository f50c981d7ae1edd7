"""/api/v1/templates: create, read, update (version bump); the built-in one is read-only."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from connector.models import InterviewTemplate
from tests.api.conftest import TEMPLATE, assert_error, invite_by_hand
from tests.conftest import row_counts


def builtin_id(services) -> int:
    with services.db.session() as db:
        return db.scalar(select(InterviewTemplate.id).where(InterviewTemplate.is_builtin))


def test_create_then_read_a_template(acme):
    response = acme.api.post("/templates", json=TEMPLATE)
    assert response.status_code == 201, response.get_data(as_text=True)
    made = response.get_json()
    assert made["version"] == 1 and made["is_builtin"] is False
    assert [(q["position"], q["is_practice"], q["kind"]) for q in made["questions"]] == [
        (0, True, "video"), (1, False, "video"), (2, False, "text")]
    assert made["questions"][1] | {"prompt": ""} == {
        "position": 1, "prompt": "", "prep_seconds": 20, "answer_seconds": 90, "retakes": 2,
        "kind": "video", "max_characters": None, "is_practice": False}
    assert made["questions"][2]["max_characters"] == 800
    assert made["rubric"] == TEMPLATE["rubric"]
    for key in ("deadline_hours", "reminder_hours", "welcome_text", "brand_color", "logo_url",
                "consent_text", "consent_version"):
        assert made[key] == TEMPLATE[key]
    assert acme.api.get(f"/templates/{made['id']}").get_json() == made
    listed = acme.api.get("/templates").get_json()["data"]
    assert [t["id"] for t in listed][0] == made["id"]
    assert any(t["is_builtin"] for t in listed)


def test_update_bumps_the_version_and_sessions_keep_their_plan(services, acme, greenhouse):
    made = acme.api.post("/templates", json=TEMPLATE).get_json()
    session = invite_by_hand(acme, template_id=made["id"]).get_json()
    changed = copy.deepcopy(TEMPLATE) | {"name": "Backend screen v2", "questions": [
        {"prompt": "Only one question now."}]}
    response = acme.api.put(f"/templates/{made['id']}", json=changed)
    assert response.status_code == 200, response.get_data(as_text=True)
    updated = response.get_json()
    assert updated["version"] == 2 and updated["name"] == "Backend screen v2"
    assert [(q["position"], q["prompt"]) for q in updated["questions"]] == [
        (1, "Only one question now.")]
    kept = acme.api.get(f"/sessions/{session['id']}").get_json()
    assert kept["template_version"] == 1
    assert [q["prompt"] for q in kept["questions"]] == [q["prompt"] for q in TEMPLATE["questions"]]
    fresh = invite_by_hand(acme, application_id="1002", template_id=made["id"]).get_json()
    assert fresh["template_version"] == 2 and len(fresh["questions"]) == 1


def test_the_builtin_template_is_readable_but_not_editable(services, acme):
    template_id = builtin_id(services)
    read = acme.api.get(f"/templates/{template_id}")
    assert read.status_code == 200 and read.get_json()["is_builtin"] is True
    before = row_counts(services)
    assert_error(acme.api.put(f"/templates/{template_id}", json=TEMPLATE), 409,
                 "builtin_template")
    assert row_counts(services) == before
    assert acme.api.get(f"/templates/{template_id}").get_json() == read.get_json()


def bad(**changes) -> dict:
    body = copy.deepcopy(TEMPLATE)
    body.update(changes)
    return body


@pytest.mark.parametrize("body, fields", [
    (bad(name=""), {"name"}),
    (bad(questions=[]), {"questions"}),
    (bad(questions=[{"prompt": "x", "kind": "dance"}]), {"questions"}),
    (bad(questions=[{"prompt": "x", "answer_seconds": 5}]), {"questions"}),
    (bad(questions=[{"prompt": "x", "max_characters": 10}]), {"questions"}),
    (bad(questions=[{"prompt": "a"}, {"prompt": "b", "is_practice": True}]), {"questions"}),
    (bad(questions=[{"prompt": "a", "is_practice": True}]), {"questions"}),
    (bad(rubric=[{"name": "Grit", "anchors": ["1", "2", "3", "4"]}]), {"rubric"}),
    (bad(reminder_hours=48), {"reminder_hours"}),
    (bad(brand_color="blue"), {"brand_color"}),
    (bad(logo_url="http://insecure.example/logo.png"), {"logo_url"}),
    (bad(consent_version=None), {"consent_version"}),
    (bad(deadline_hours=True), {"deadline_hours"}),
])
def test_invalid_templates_are_a_422_naming_the_field_and_write_nothing(services, acme, body,
                                                                         fields):
    before = row_counts(services)
    details = assert_error(acme.api.post("/templates", json=body), 422, "validation_failed")
    assert set(details["fields"]) == fields
    assert row_counts(services) == before


def test_an_invalid_update_changes_nothing(services, acme):
    made = acme.api.post("/templates", json=TEMPLATE).get_json()
    before = row_counts(services)
    assert_error(acme.api.put(f"/templates/{made['id']}", json=bad(questions=[])), 422,
                 "validation_failed")
    assert row_counts(services) == before
    assert acme.api.get(f"/templates/{made['id']}").get_json() == made


def test_unknown_templates_are_a_404(acme):
    assert_error(acme.api.get("/templates/999999"), 404, "not_found")
    assert_error(acme.api.put("/templates/999999", json=TEMPLATE), 404, "not_found")
