"""Each access writes exactly one line per kind: who, what, on which interview, from where."""

from __future__ import annotations

from dataclasses import replace

from connector.models import Access, Actor, User
from tests.access_log.conftest import log_lines, new_lines, score_form

FROM = {"REMOTE_ADDR": "192.0.2.7"}


def kinds(lines: list[dict]) -> list[tuple]:
    return [(line["action"], line["actor"], line["actor_id"], line["actor_label"],
             line["interview"], line["address"]) for line in lines]


def user_id(services, email: str) -> str:
    with services.db.session() as db:
        return str(db.query(User).filter_by(email=email).one().id)


def test_a_signed_in_reviewer_viewing_the_page_and_then_the_scores(services, reviewer,
                                                                   completed):
    ana = user_id(services, "ana@acme.example")
    path = f"/review/sessions/{completed}"
    before = log_lines(services)
    assert reviewer.get(path, environ_base=FROM).status_code == 200
    assert kinds(new_lines(services, before)) == [
        (Access.REVIEW_VIEWED, Actor.USER, ana, "Ana Lee", completed, "192.0.2.7")]

    assert score_form(reviewer, path).status_code == 303
    before = log_lines(services)
    assert reviewer.get(path, environ_base=FROM).status_code == 200  # now with the scores
    lines = new_lines(services, before)
    assert kinds(lines) == [
        (Access.REVIEW_VIEWED, Actor.USER, ana, "Ana Lee", completed, "192.0.2.7"),
        (Access.SCORECARD_VIEWED, Actor.USER, ana, "Ana Lee", completed, "192.0.2.7")]
    assert lines[1]["detail"] == "1 scorecards"


def test_a_share_link_used_and_its_recording_watched(app, services, completed, links):
    client, token, link = app.test_client(), links["share_token"], links["share_id"]
    before = log_lines(services)
    assert client.get(f"/review/shared/{token}", environ_base=FROM).status_code == 200
    assert kinds(new_lines(services, before)) == [
        (Access.SHARE_LINK_USED, Actor.SHARE_LINK, link, "", completed, "192.0.2.7"),
        (Access.REVIEW_VIEWED, Actor.SHARE_LINK, link, "", completed, "192.0.2.7")]

    before = log_lines(services)
    assert client.get(f"/review/shared/{token}/answers/2", environ_base=FROM).status_code == 200
    lines = new_lines(services, before)
    assert kinds(lines) == [
        (Access.RECORDING_VIEWED, Actor.SHARE_LINK, link, "", completed, "192.0.2.7")]
    assert lines[0]["detail"] == "question 2"


def test_an_invited_reviewer_viewing_the_page(app, services, completed, links):
    before = log_lines(services)
    page = app.test_client().get(f"/review/shared/{links['invitation_token']}",
                                 environ_base=FROM)
    assert page.status_code == 200 and "Scoring as Dana Scully." in page.get_data(as_text=True)
    assert kinds(new_lines(services, before)) == [
        (Access.REVIEW_VIEWED, Actor.INVITATION, links["invitation_id"], "Dana Scully",
         completed, "192.0.2.7")]


def test_a_recording_is_one_view_however_many_range_requests_fetch_it(services, reviewer,
                                                                      completed):
    media = f"/review/sessions/{completed}/answers/1"
    before = log_lines(services)
    assert reviewer.get(media, headers={"Range": "bytes=0-1"}).status_code == 206  # a probe
    assert reviewer.get(media, headers={"Range": "bytes=0-"}).status_code == 206
    assert reviewer.get(media, headers={"Range": "bytes=100-"}).status_code == 206  # a seek
    assert reviewer.get(media).status_code == 200
    lines = new_lines(services, before)
    assert [(line["action"], line["detail"]) for line in lines] == [
        (Access.RECORDING_VIEWED, "question 1")]

    before = log_lines(services)
    assert reviewer.get(f"/review/sessions/{completed}/answers/2").status_code == 200
    assert [line["detail"] for line in new_lines(services, before)] == ["question 2"]


def test_a_download_is_logged_as_one(services, reviewer, completed):
    before = log_lines(services)
    response = reviewer.get(f"/review/sessions/{completed}/answers/1?download=1")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    lines = new_lines(services, before)
    assert [(line["action"], line["actor"], line["interview"]) for line in lines] == [
        (Access.RECORDING_DOWNLOADED, Actor.USER, completed)]


def test_the_api_reading_scorecards(app, services, completed, api_token):
    token, prefix = api_token
    before = log_lines(services)
    response = app.test_client().get(f"/api/v1/sessions/{completed}/review", environ_base=FROM,
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    lines = new_lines(services, before)
    assert kinds(lines) == [
        (Access.SCORECARD_VIEWED, Actor.API_TOKEN, prefix, "CI", completed, "192.0.2.7")]
    assert lines[0]["detail"] == "0 scorecards"


def test_behind_a_trusted_proxy_the_address_is_the_one_it_reports(services, reviewer,
                                                                  completed):
    services.settings = replace(services.settings, trusted_proxies=1)
    before = log_lines(services)
    reviewer.get(f"/review/sessions/{completed}", environ_base={"REMOTE_ADDR": "10.0.0.2"},
                 headers={"X-Forwarded-For": "203.0.113.1, 198.51.100.4"})
    assert [line["address"] for line in new_lines(services, before)] == ["198.51.100.4"]


def test_what_is_refused_writes_no_line(app, services, completed, reviewer, api_token):
    before = log_lines(services)
    assert app.test_client().get(f"/review/sessions/{completed}").status_code in (302, 303)
    assert app.test_client().get("/review/shared/" + "x" * 43).status_code == 404
    assert app.test_client().get(f"/review/shared/{'x' * 43}/answers/1").status_code == 404
    assert reviewer.get(f"/review/sessions/{completed}/answers/3").status_code == 404  # text
    assert reviewer.get("/review/sessions/ses_nobody/answers/1").status_code == 404
    assert app.test_client().get(f"/api/v1/sessions/{completed}/review").status_code == 401
    assert app.test_client().get("/api/v1/sessions/ses_nobody/review", headers={
        "Authorization": f"Bearer {api_token[0]}"}).status_code == 404
    assert log_lines(services) == before
