"""/api/v1/installations: read without secrets; options changed with validation."""

from __future__ import annotations

from sqlalchemy import select

from connector.models import Installation
from tests.api.conftest import assert_error
from tests.conftest import row_counts
from tests.fakes.greenhouse import CLIENT_SECRET


def test_list_and_get_show_the_installation_without_secrets(acme):
    listed = acme.api.get("/installations")
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["next_cursor"] is None
    [item] = body["data"]
    assert item["id"] == acme.installation["public_id"]
    assert item["ats"] == "greenhouse" and item["status"] == "active"
    assert item["attention_reason"] is None
    assert item["webhook_url"] == (
        f"https://connector.test/webhooks/greenhouse/{acme.installation['public_id']}")
    assert item["trigger_stages"] == [{"stage": "Assessment", "template_id": None}]
    one = acme.api.get(f"/installations/{item['id']}")
    assert one.get_json() == item
    text = one.get_data(as_text=True)
    assert acme.installation["secret"] not in text and CLIENT_SECRET not in text
    assert "credentials" not in text and "secret" not in text


def test_options_are_merged_and_null_returns_a_default(services, acme):
    path = f"/installations/{acme.installation['public_id']}/options"
    response = acme.api.patch(path, json={
        "note_visibility": "private", "custom_field": "video_score",
        "decision_stages": {"strong_yes": "777", "strong_no": "999"}, "decision_after": 2})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["options"] == {
        "note_visibility": "private", "custom_field": "video_score",
        "decision_stages": {"strong_yes": "777", "strong_no": "999"}, "decision_after": 2}
    response = acme.api.patch(path, json={"custom_field": None, "share_can_score": True})
    assert response.get_json()["options"] == {
        "note_visibility": "private", "decision_stages": {"strong_yes": "777", "strong_no": "999"},
        "decision_after": 2, "share_can_score": True}
    with services.db.session() as db:
        stored = db.scalar(select(Installation.options).where(
            Installation.public_id == acme.installation["public_id"]))
    assert stored["share_can_score"] is True and "custom_field" not in stored


def test_invalid_options_are_a_422_and_write_nothing(services, acme):
    path = f"/installations/{acme.installation['public_id']}/options"
    before = row_counts(services)
    # The connector's own options are checked first, then the keys the ATS takes, then the
    # ATS's values (Greenhouse's schema): each round is a 422 of its own.
    for sent, refused in (
            ({"decision_stages": {"maybe": "1"}, "decision_after": 0},
             {"decision_stages", "decision_after"}),
            ({"note_visibility": "public", "colour": "red"}, {"colour"}),
            ({"note_visibility": "everyone", "custom_field": ""},
             {"note_visibility", "custom_field"})):
        details = assert_error(acme.api.patch(path, json=sent), 422, "validation_failed")
        assert set(details["fields"]) == refused
        assert row_counts(services) == before
    assert acme.api.get(path.removesuffix("/options")).get_json()["options"] == {}


def test_an_unknown_installation_is_a_404(acme):
    assert_error(acme.api.get("/installations/inst_nope"), 404, "not_found")
    assert_error(acme.api.patch("/installations/inst_nope/options", json={}), 404, "not_found")
