"""/api/v1/sessions: list with filters and pages, read, invite by hand, and corrections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from connector.models import Answer, Email, Interview, Push, InterviewState, utcnow
from tests.api.conftest import assert_error, invite_by_hand
from tests.conftest import row_counts
from tests.lifecycle_support import add_answer, change, emails, link_in


def test_invite_by_hand_sends_the_same_email_and_note(services, acme, greenhouse):
    response = invite_by_hand(acme)
    assert response.status_code == 201, response.get_data(as_text=True)
    made = response.get_json()
    assert made["id"].startswith("ses_") and made["state"] == "invited"
    assert made["installation_id"] == acme.installation["public_id"]
    assert (made["candidate_name"], made["candidate_email"], made["job_title"]) == (
        "Ada Lovelace", "ada@example.org", "Engineer")
    assert [q["position"] for q in made["questions"]] == [0, 1, 2, 3]  # the built-in plan
    assert made["answers"] == []
    [email] = emails(services, "invitation")
    assert email.to_address == "ada@example.org" and "Engineer" in email.subject
    assert link_in(email.text_body)
    with services.db.session() as db:
        push = db.scalar(select(Push).where(Push.kind == "invited"))
        assert push.status.value == "delivered"  # the job ran: the note reached Greenhouse
    assert greenhouse.notes and "ada@example.org" in greenhouse.notes[0]["body"]


def test_an_application_with_an_open_interview_is_a_409(services, acme, greenhouse):
    assert invite_by_hand(acme).status_code == 201
    before = row_counts(services)
    assert_error(invite_by_hand(acme), 409, "conflict")
    assert row_counts(services) == before


@pytest.mark.parametrize("changes, fields", [
    ({"candidate_email": "not-an-address"}, {"candidate_email"}),
    ({"candidate_name": ""}, {"candidate_name"}),
    ({"ats_application_id": None}, {"ats_application_id"}),
    ({"template_id": "one"}, {"template_id"}),
    ({"extra": 1}, {"extra"}),
])
def test_invalid_invitations_are_a_422_and_write_nothing(services, acme, changes, fields):
    before = row_counts(services)
    details = assert_error(invite_by_hand(acme, **changes), 422, "validation_failed")
    assert set(details["fields"]) == fields
    assert row_counts(services) == before


def test_an_unknown_installation_or_template_is_a_404_and_writes_nothing(services, acme):
    before = row_counts(services)
    assert_error(invite_by_hand(acme, installation_id="inst_nope"), 404, "not_found")
    assert_error(invite_by_hand(acme, template_id=999999), 404, "not_found")
    assert row_counts(services) == before


def test_list_filters_and_pages(services, acme, greenhouse):
    ids = [invite_by_hand(acme, application_id=str(2000 + n)).get_json()["id"] for n in range(5)]
    change(services, ids[0], state=InterviewState.COMPLETED, created_at=utcnow() - timedelta(days=3))
    body = acme.api.get("/sessions?limit=2").get_json()
    assert "data" in body, body
    seen = [s["id"] for s in body["data"]]
    while body["next_cursor"]:
        body = acme.api.get(f"/sessions?limit=2&cursor={body['next_cursor']}").get_json()
        seen += [s["id"] for s in body["data"]]
    assert seen == ids[::-1]
    completed = acme.api.get("/sessions?state=completed").get_json()["data"]
    assert [s["id"] for s in completed] == [ids[0]]
    since = (utcnow() - timedelta(days=1)).isoformat()
    recent = acme.api.get("/sessions", query_string={"created_after": since}).get_json()["data"]
    assert [s["id"] for s in recent] == ids[:0:-1]
    older = acme.api.get("/sessions", query_string={"created_before": since}).get_json()["data"]
    assert [s["id"] for s in older] == [ids[0]]
    other = acme.api.get("/sessions?installation=inst_other").get_json()
    assert other == {"data": [], "next_cursor": None}


def test_get_shows_answers_status_without_media(services, acme, greenhouse):
    made = invite_by_hand(acme).get_json()
    add_answer(services, made["id"], 1, key="answers/one.webm")
    got = acme.api.get(f"/sessions/{made['id']}").get_json()
    [answer] = got["answers"]
    assert answer["position"] == 1 and answer["status"] == "submitted"
    assert answer["size_bytes"] == 4 and "storage_key" not in answer
    assert "token" not in str(got).lower()


def test_extend_moves_the_deadline_and_opens_an_expired_session(services, acme, greenhouse):
    made = invite_by_hand(acme).get_json()
    change(services, made["id"], state=InterviewState.EXPIRED,
           deadline_at=utcnow() - timedelta(hours=1))
    response = acme.api.post(f"/sessions/{made['id']}/extend", json={"hours": 24})
    assert response.status_code == 200, response.get_data(as_text=True)
    extended = response.get_json()
    assert extended["state"] == "invited"
    assert extended["deadline_at"] > (utcnow() + timedelta(hours=23)).isoformat()


def test_resend_queues_the_invitation_again(services, acme, greenhouse):
    made = invite_by_hand(acme).get_json()
    assert acme.api.post(f"/sessions/{made['id']}/resend").status_code == 200
    first, again = emails(services, "invitation")
    assert link_in(first.text_body) == link_in(again.text_body)
    assert again.dedupe_key.endswith(":resend:1")


def test_reset_answer_deletes_it_and_its_file(services, acme, greenhouse):
    made = invite_by_hand(acme).get_json()
    add_answer(services, made["id"], 2, key="answers/two.webm")
    response = acme.api.post(f"/sessions/{made['id']}/answers/2/reset")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["answers"] == []
    assert not services.storage.exists("answers/two.webm")


def test_cancel_closes_an_open_session_once(services, acme, greenhouse):
    made = invite_by_hand(acme).get_json()
    response = acme.api.post(f"/sessions/{made['id']}/cancel")
    assert response.status_code == 200 and response.get_json()["state"] == "cancelled"
    before = row_counts(services)
    assert_error(acme.api.post(f"/sessions/{made['id']}/cancel"), 409, "conflict")
    assert_error(acme.api.post(f"/sessions/{made['id']}/resend"), 409, "conflict")
    assert_error(acme.api.post(f"/sessions/{made['id']}/extend", json={"hours": 2}), 409,
                 "conflict")
    assert row_counts(services) == before


def test_refused_corrections_write_nothing(services, acme, greenhouse):
    made = invite_by_hand(acme).get_json()
    add_answer(services, made["id"], 1)
    before = row_counts(services)
    deadline = acme.api.get(f"/sessions/{made['id']}").get_json()["deadline_at"]
    for hours in (0, -5, 24 * 366, "12", 1.5, None):
        details = assert_error(acme.api.post(f"/sessions/{made['id']}/extend",
                                             json={"hours": hours}), 422, "validation_failed")
        assert set(details["fields"]) == {"hours"}
    assert_error(acme.api.post(f"/sessions/{made['id']}/answers/0/reset"), 409, "conflict")
    assert_error(acme.api.post(f"/sessions/{made['id']}/answers/3/reset"), 409, "conflict")
    assert_error(acme.api.post(f"/sessions/{made['id']}/answers/9/reset"), 409, "conflict")
    assert row_counts(services) == before
    assert acme.api.get(f"/sessions/{made['id']}").get_json()["deadline_at"] == deadline
    with services.db.session() as db:
        assert db.scalar(select(Answer.position)) == 1
        assert db.scalar(select(Interview.state)) is InterviewState.INVITED
        assert len(db.scalars(select(Email)).all()) == 1
