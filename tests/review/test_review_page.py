"""The review page: answers playable and seekable, independent scorecards, scores to the ATS."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from connector import accounts
from connector.models import Interview, Scorecard, utcnow
from tests.conftest import row_counts
from tests.review.conftest import add_user, csrf_token_of, score_form, sign_in


def page_of(client, public_id):
    return client.get(f"/review/sessions/{public_id}")


def test_a_reviewer_sees_every_answer_and_the_rubric(client, services, completed):
    add_user(services, "ana@acme.example", name="Ana")
    sign_in(client, "ana@acme.example")
    html = page_of(client, completed).get_data(as_text=True)
    assert "Giuseppe Hurley" in html
    assert f'src="/review/sessions/{completed}/answers/1"' in html
    assert f'src="/review/sessions/{completed}/answers/2"' in html
    assert "Because it matters." in html
    assert "Communication" in html and "Compelling: clear structure" in html
    assert "Other reviewers' scores appear here after you submit yours." in html


def test_answers_are_served_with_range_requests(client, services, completed):
    add_user(services, "ana@acme.example")
    sign_in(client, "ana@acme.example")
    whole = client.get(f"/review/sessions/{completed}/answers/1")
    assert whole.status_code == 200 and whole.mimetype == "video/webm"
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = client.get(f"/review/sessions/{completed}/answers/1", headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.data == b"\x1a\x45\xdf\xa3"
    assert client.get(f"/review/sessions/{completed}/answers/3").status_code == 404  # text


def test_signing_in_is_required(client, completed):
    response = page_of(client, completed)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_another_organization_cannot_see_the_session(client, services, completed):
    add_user(services, "eve@other.example", organization="Other Co")
    sign_in(client, "eve@other.example")
    assert page_of(client, completed).status_code == 404
    assert client.get(f"/review/sessions/{completed}/answers/1").status_code == 404
    before = row_counts(services)
    assert score_form(client, f"/review/sessions/{completed}", csrf_token="x").status_code in (
        400, 404)
    assert row_counts(services) == before


def test_two_reviewers_score_independently_and_the_ats_gets_the_scores(
        client, services, completed, greenhouse, app):
    add_user(services, "ana@acme.example", name="Ana")
    add_user(services, "bo@acme.example", name="Bo")
    path = f"/review/sessions/{completed}"
    sign_in(client, "ana@acme.example")
    assert score_form(client, path).status_code == 303
    ana_view = page_of(client, completed).get_data(as_text=True)
    assert "1 reviewer: Ana." in ana_view

    other = app.test_client()
    sign_in(other, "bo@acme.example")
    scores = page_of(other, completed).get_data(as_text=True).split("Scores")[1]
    assert not re.search(r"(?<![\w-])Ana(?![\w-])", scores)  # a word, not inside a token
    assert score_form(other, path, **{"competency-0": "2", "competency-1": "3",
                                      "competency-2": "4", "recommendation": "strong_yes"}
                      ).status_code == 303
    bo_view = page_of(other, completed).get_data(as_text=True)
    assert "2 reviewers: Ana, Bo." in bo_view
    assert "<td>3.5</td>" in bo_view  # overall: (4+5+3+2+3+4) / 6

    notes = [n["body"] for n in greenhouse.notes if "scores for" in n["body"]]
    assert len(notes) == 2
    assert "Reviewed by Ana and Bo." in notes[1] and "Overall score: 3.5 / 5." in notes[1]
    assert "Communication — 3.0 / 5" in notes[1] and "Recommendations: 1 yes and 1 strong yes." \
        in notes[1]
    assert "<" not in notes[1]  # plain text: no raw markup inside the ATS
    assert "Watch and review the answers:\nhttps://connector.test/review/shared/" in notes[1]


def test_an_incomplete_scorecard_is_refused_and_nothing_is_submitted(client, services,
                                                                      completed):
    add_user(services, "ana@acme.example")
    sign_in(client, "ana@acme.example")
    response = score_form(client, f"/review/sessions/{completed}", **{"competency-2": ""})
    assert response.status_code == 422
    assert "rate every competency" in response.get_data(as_text=True)
    with services.db.session() as db:
        assert db.scalars(select(Scorecard).where(Scorecard.submitted_at.is_not(None))).all() \
            == []


def share(services, completed, days=14):
    with services.db.session() as db:
        interview = db.scalars(select(Interview).where(
            Interview.public_id == completed)).one()
        link, token = accounts.create_share_link(db, services.keyring, interview,
                                                 can_score=False, days=days)
        return link.public_id, token


def test_a_share_link_shows_the_answers_and_the_scores_but_no_scorecard(
        client, app, services, completed, greenhouse):
    add_user(services, "ana@acme.example", name="Ana")
    signed_in = app.test_client()
    sign_in(signed_in, "ana@acme.example")
    assert score_form(signed_in, f"/review/sessions/{completed}",
                      comments="Private thoughts.").status_code == 303
    _, token = share(services, completed)
    path = f"/review/shared/{token}"
    html = client.get(path).get_data(as_text=True)
    assert f'src="{path}/answers/1"' in html and "Because it matters." in html
    assert client.get(f"{path}/answers/1").status_code == 200
    assert "1 reviewer: Ana." in html and "<td>4.0</td>" in html  # the aggregate
    assert "Private thoughts." not in html  # not each reviewer's card
    assert "Submit scores" not in html and 'name="competency-0"' not in html
    assert "Your name" not in html
    assert f'href="/review/sessions/{completed}">sign in to score' in html


def test_nobody_scores_or_reads_a_draft_through_a_share_link_whatever_name_they_give(
        client, app, services, completed, greenhouse):
    """Typing another reviewer's name showed their draft and submitted it as theirs."""
    add_user(services, "ana@acme.example", name="Ana")
    ana = app.test_client()
    sign_in(ana, "ana@acme.example")
    assert score_form(ana, f"/review/sessions/{completed}", action="save",
                      comments="Draft notes.").status_code == 303
    _, token = share(services, completed)
    path = f"/review/shared/{token}"
    assert "Draft notes." not in client.get(f"{path}?name=Ana").get_data(as_text=True)
    before = row_counts(services)
    for name in ("Ana", "Dana", "Da\u200bna"):  # the last with a zero-width space
        response = score_form(client, path, reviewer_name=name)
        assert response.status_code == 403
        assert "lets you watch the answers and see the scores, not score them" in \
            response.get_data(as_text=True)
    assert row_counts(services) == before
    with services.db.session() as db:
        (card,) = db.scalars(select(Scorecard)).all()
        assert card.submitted_at is None and card.reviewer_name == "Ana"
    assert not [n for n in greenhouse.notes if "scores for" in n["body"]]


@pytest.mark.parametrize("spoil", ["expired", "revoked", "unknown"])
def test_an_expired_revoked_or_unknown_share_link_is_refused(client, services, completed,
                                                             spoil):
    link_id, token = share(services, completed)
    with services.db.session() as db:
        from connector.models import ShareLink

        link = db.scalars(select(ShareLink).where(ShareLink.public_id == link_id)).one()
        if spoil == "expired":
            link.expires_at = utcnow()
        elif spoil == "revoked":
            link.revoked_at = utcnow()
    path = f"/review/shared/{token if spoil != 'unknown' else 'x' * 43}"
    assert client.get(path).status_code == 404
    assert client.get(f"{path}/answers/1").status_code == 404
    before = row_counts(services)
    assert score_form(client, path).status_code == 404
    assert row_counts(services) == before


def test_the_completed_note_links_the_review_page_and_each_answer(services, completed,
                                                                   greenhouse):
    (note,) = [n["body"] for n in greenhouse.notes if "completed the" in n["body"]]
    assert "Watch and review all answers:\nhttps://connector.test/review/shared/" in note
    assert [line for line in note.splitlines() if line.startswith("Answer")] == [
        "Answer 1:", "Answer 2:", "Answer 3:"]
