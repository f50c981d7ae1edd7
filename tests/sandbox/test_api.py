"""The sandbox's REST API: bearer key, notes, fields, moves; refusals write nothing."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from adapters.contract import Connection
from adapters.events import Outcome, Verdict
from adapters.sandbox import MANIFEST
from connector.models import SandboxCard, SandboxNote
from jobs.writeback import write
from tests.conftest import free_port, row_counts

NOTES = "/sandbox/api/applications/app-1001/notes"


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "Bearer "},
    {"Authorization": "Basic c2FuZGJveDprZXk="}, {"Authorization": "wrong-key"},
])
def test_a_wrong_or_missing_key_is_401_and_writes_nothing(client, services, seeded, headers):
    before = row_counts(services)
    for method, path, body in (("post", NOTES, {"body": "x"}), ("get", NOTES, None),
                               ("put", "/sandbox/api/applications/app-1001/fields",
                                {"score": 4}),
                               ("post", "/sandbox/api/applications/app-1001/move",
                                {"stage_id": "offer"})):
        response = getattr(client, method)(path, json=body, headers=headers)
        assert response.status_code == 401, path
        assert response.json["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert row_counts(services) == before


def test_another_key_of_the_same_length_is_refused(client, services, seeded):
    wrong = "x" * len(seeded["api_key"])
    assert client.post(NOTES, json={"body": "x"}, headers=bearer(wrong)).status_code == 401


def test_notes_are_written_and_listed(client, seeded):
    key = bearer(seeded["api_key"])
    created = client.post(NOTES, json={"body": "First [m-1]"}, headers=key)
    assert created.status_code == 201 and created.json["body"] == "First [m-1]"
    client.post(NOTES, json={"body": "Second"}, headers=key)
    listed = client.get(NOTES, headers=key)
    assert [n["body"] for n in listed.json] == ["First [m-1]", "Second"]
    assert listed.json[0]["id"] == created.json["id"]


@pytest.mark.parametrize("path, body, status", [
    (NOTES, {"body": ""}, 422),
    (NOTES, {"text": "x"}, 422),
    (NOTES, {"body": "x", "extra": 1}, 422),
    (NOTES, ["not", "an", "object"], 400),
    ("/sandbox/api/applications/app-1001/fields", {"score": 7}, 422),
    ("/sandbox/api/applications/app-1001/fields", {"score": "NaN"}, 422),
    ("/sandbox/api/applications/app-1001/fields", {"recommendation": "maybe"}, 422),
    ("/sandbox/api/applications/app-1001/fields", {"colour": "red"}, 422),
    ("/sandbox/api/applications/app-1001/fields", {"review_url": "javascript:alert(1)"}, 422),
    ("/sandbox/api/applications/app-1001/move", {"stage_id": "hired"}, 422),
    ("/sandbox/api/applications/app-1001/move", {}, 422),
    ("/sandbox/api/applications/app-9999/notes", {"body": "x"}, 404),
    ("/sandbox/api/applications/app-9999/move", {"stage_id": "offer"}, 404),
])
def test_bad_requests_get_a_clear_4xx_and_write_nothing(client, services, seeded, recorded_jobs,
                                                        path, body, status):
    before = row_counts(services)
    method = client.put if path.endswith("/fields") else client.post
    response = method(path, json=body, headers=bearer(seeded["api_key"]))
    assert response.status_code == status and response.json["error"]
    assert row_counts(services) == before and recorded_jobs == []
    with services.db.session() as db:
        card = db.scalars(select(SandboxCard).where(SandboxCard.application_id == "app-1001")).one()
        assert (card.column, card.fields) == ("applied", {})


def test_a_body_that_is_not_json_is_400(client, services, seeded):
    response = client.post(NOTES, data=b"body=x", headers=bearer(seeded["api_key"]),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_fields_show_on_the_card_and_the_board(client, seeded):
    response = client.put("/sandbox/api/applications/app-1001/fields",
                          json={"score": 4.25, "recommendation": "strong_yes",
                                "review_url": "http://127.0.0.1:8000/review/shared/abc"},
                          headers=bearer(seeded["api_key"]))
    assert response.status_code == 200
    assert "★ 4.2 / 5" in client.get("/sandbox").get_data(as_text=True)
    page = client.get(f"/sandbox/cards/{seeded['cards']['Ada']}").get_data(as_text=True)
    assert "4.2 / 5" in page and "strong yes" in page
    assert 'href="http://127.0.0.1:8000/review/shared/abc"' in page


def test_a_move_through_the_api_moves_the_card_and_reports_it(client, services, seeded,
                                                             recorded_jobs):
    response = client.post("/sandbox/api/applications/app-1001/move",
                           json={"stage_id": "interview"}, headers=bearer(seeded["api_key"]))
    assert response.status_code == 200
    with services.db.session() as db:
        assert db.get(SandboxCard, seeded["cards"]["Ada"]).column == "interview"
    ((path, args),) = recorded_jobs
    assert args[:2] == (seeded["cards"]["Ada"], "interview")


@pytest.fixture
def live_url(app):
    """The same app on a real HTTP server on loopback."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def test_a_note_pushed_through_the_adapter_shows_on_the_profile(client, services, seeded,
                                                                live_url):
    adapter = MANIFEST.build(Connection(
        webhook_secret=seeded["secret"], credentials={"api_key": seeded["api_key"]},
        api_base_url=f"{live_url}/sandbox/api", strict_hosts=False))
    text = ("Async video interview completed.\nWatch and review: "
            "https://connector.test/review/shared/tok#answer-1\n<b>not markup</b>\n[m-7]")
    outcome = Outcome("completed", "app-1001", "cand-2001", text, "[m-7]",
                      result=Verdict(overall=3.5, recommendation="yes"))
    note_id = write(adapter, outcome, first_attempt=True)
    assert write(adapter, outcome, first_attempt=False) == note_id  # found by its marker
    with services.db.session() as db:
        assert db.scalars(select(SandboxNote)).one().body == text
    page = client.get(f"/sandbox/cards/{seeded['cards']['Ada']}").get_data(as_text=True)
    assert ('<a href="https://connector.test/review/shared/tok#answer-1" rel="noopener">'
            in page)
    assert "&lt;b&gt;not markup&lt;/b&gt;" in page and "<b>not markup" not in page
    assert "3.5 / 5" in page
