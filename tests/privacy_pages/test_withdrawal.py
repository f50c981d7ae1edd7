"""Withdrawing consent from the candidate's own link: confirmed, noted once, erased when due."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from connector.models import Interview, InterviewState, Organization, Push, utcnow
from tests.conftest import row_counts
from tests.privacy_pages.people import invite_another
from tests.review.conftest import csrf_token_of


def withdraw(client, token, **fields):
    path = f"/interview/{token}/privacy"
    data = {"csrf_token": csrf_token_of(client, path), **fields}
    return client.post(f"{path}/erasure", data=data)


def erasure_notes(greenhouse) -> list[dict]:
    return [n for n in greenhouse.notes if "(erasure requested)" in n["body"]]


def the_interview(services) -> Interview:
    with services.db.session() as session:
        interview = session.scalars(select(Interview).order_by(Interview.id)).first()
        session.expunge(interview)
        return interview


def test_without_the_confirmation_nothing_is_written(client, services, candidate, greenhouse):
    before = row_counts(services)
    refused = withdraw(client, candidate.token)
    assert refused.status_code == 422
    assert "Please tick the box to confirm" in refused.get_data(as_text=True)
    no_csrf = client.post(f"/interview/{candidate.token}/privacy/erasure",
                          data={"confirm": "yes"})
    assert no_csrf.status_code == 400
    assert row_counts(services) == before
    interview = the_interview(services)
    assert interview.erasure_due_at is None and interview.state is InterviewState.STARTED
    assert erasure_notes(greenhouse) == []


def test_a_confirmed_request_cancels_sets_the_due_date_and_notes_it_once(
        client, services, candidate, greenhouse):
    with services.db.session() as session:
        session.scalars(select(Organization)).one().erasure_wait_days = 10
    asked = utcnow()
    response = withdraw(client, candidate.token, confirm="yes")
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    interview = the_interview(services)
    assert interview.state is InterviewState.CANCELLED
    due = interview.erasure_due_at
    assert asked + timedelta(days=10) <= due <= utcnow() + timedelta(days=10)
    assert f"{due.day} {due:%B %Y}" in confirmation.get_data(as_text=True)
    (note,) = erasure_notes(greenhouse)
    assert "withdrew their consent" in note["body"] and "asked for their data to be erased" \
        in note["body"]
    assert f"{due.day} {due:%B %Y}" in note["body"]

    with services.db.session() as session:
        pushes = session.scalar(select(func.count()).select_from(Push))
    assert withdraw(client, candidate.token, confirm="yes").status_code == 303
    assert len(erasure_notes(greenhouse)) == 1
    assert the_interview(services).erasure_due_at == due
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Push)) == pushes
    assert client.get(f"/interview/{candidate.token}").status_code == 410  # closed


def test_a_completed_interview_stays_completed_and_its_erasure_falls_due(
        client, services, completed, greenhouse):
    token = services.keyring.decrypt(the_interview(services).token_encrypted)
    assert withdraw(client, token, confirm="yes").status_code == 303
    interview = the_interview(services)
    assert interview.state is InterviewState.COMPLETED
    assert interview.erasure_due_at <= utcnow() + timedelta(days=7)  # the default wait
    assert len(erasure_notes(greenhouse)) == 1


def test_one_link_never_reaches_another_candidates_request(
        client, services, candidate, installation, greenhouse):
    other = invite_another(client, services, installation)
    assert withdraw(client, other, confirm="yes").status_code == 303
    assert the_interview(services).erasure_due_at is None  # the first candidate's
    wrong = "x" * 43
    assert client.get(f"/interview/{wrong}/privacy").status_code == 404
    assert client.post(f"/interview/{wrong}/privacy/erasure",
                       data={"confirm": "yes", "csrf_token": csrf_token_of(
                           client, f"/interview/{candidate.token}/privacy")}).status_code == 404


def test_the_requests_are_limited_per_link(client, services, candidate):
    statuses = [withdraw(client, candidate.token).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]


def test_the_your_data_page_says_what_is_kept_and_until_when(client, services, completed):
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        interview.settled_at = utcnow()
        token = services.keyring.decrypt(interview.token_encrypted)
    page = client.get(f"/interview/{token}/privacy")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = " ".join(page.get_data(as_text=True).split())
    assert "Giuseppe Hurley, giuseppe.hurley@example.com" in text
    assert "2 recorded answers and 1 written answer" in text
    until = utcnow() + timedelta(days=180)
    assert f"{until:%d %B %Y}" in text
    assert "not included in your copy" in text
    assert f"/interview/{token}/privacy/export" in text
