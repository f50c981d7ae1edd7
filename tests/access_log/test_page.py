"""The admin's access log: newest first, filtered, paged, exported as CSV, one organization's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connector.admin.access_log import COLUMNS
from connector.admin.ops import PAGE_SIZE
from connector.models import Access, Actor, Organization
from connector.privacy import access
from tests.access_log.conftest import log_lines
from tests.admin.conftest import admin_client, user_client  # noqa: F401  (fixtures)
from tests.conftest import row_counts

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def seed(services, organization: str, *lines: dict) -> None:
    with services.db.session() as db:
        org = db.scalar(select(Organization).where(Organization.name == organization))
        for line in lines:
            access.record(db, org.id, **line)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def acme(services, admin_client):
    """An admin of Acme, whose log has four lines; Globex's log has one, by Eve."""
    client = admin_client("Acme")
    admin_client("Globex")
    seed(services, "Acme",
         dict(action=Access.RECORDING_VIEWED, actor=Actor.USER, actor_id="7",
              actor_label="Ana Lee", interview="ses_one", detail="question 1",
              address="192.0.2.1", at=DAY - timedelta(days=2)),
         dict(action=Access.SHARE_LINK_USED, actor=Actor.SHARE_LINK, actor_id="shr_abc",
              interview="ses_two", address="192.0.2.2", at=DAY - timedelta(days=1)),
         dict(action=Access.SCORECARD_VIEWED, actor=Actor.API_TOKEN, actor_id="cnk_12345678",
              actor_label="=HYPERLINK(\"x\")", interview="ses_one", address="192.0.2.3",
              at=DAY),
         dict(action=Access.ERASED, actor=Actor.OPERATOR, actor_id="root",
              interview="ses_three", detail="operator", at=DAY + timedelta(hours=1)))
    seed(services, "Globex", dict(action=Access.REVIEW_VIEWED, actor=Actor.USER,
                                  actor_id="9", actor_label="Eve Globex", interview="ses_globex",
                                  address="198.51.100.9", at=DAY))
    return client


def test_the_page_lists_the_organizations_lines_newest_first(acme):
    html = acme.get("/admin/access-log").get_data(as_text=True)
    order = [html.index(word) for word in ("ses_three", "=HYPERLINK", "shr_abc", "Ana Lee")]
    assert order == sorted(order)
    assert "192.0.2.1" in html and "question 1" in html
    assert "Eve Globex" not in html and "ses_globex" not in html


def test_filters_by_action_actor_interview_and_days(acme):
    def shown(query: str) -> list[str]:
        html = acme.get(f"/admin/access-log?{query}").get_data(as_text=True)
        html = html.partition("<tbody>")[2]  # the lines, not the filter form's echo
        return [i for i in ("ses_one", "ses_two", "ses_three") if i in html]

    assert shown("action=share_link_used") == ["ses_two"]
    assert shown("actor=operator") == ["ses_three"]
    assert shown("interview=ses_one") == ["ses_one"]
    assert shown("from=2026-03-09&to=2026-03-09") == ["ses_two"]
    assert shown("from=2026-03-10") == ["ses_one", "ses_three"]
    assert shown("to=2026-03-08") == ["ses_one"]
    assert shown("actor=user&interview=ses_two") == []


def test_the_csv_has_the_filtered_lines_and_logs_itself_first(services, acme):
    rows = csv_rows(acme.get("/admin/access-log.csv?interview=ses_one"))
    assert rows[0] == list(COLUMNS)
    assert rows[1:] == [
        [(DAY).isoformat(), "scorecard_viewed", "api_token", "cnk_12345678",
         "'=HYPERLINK(\"x\")", "ses_one", "", "192.0.2.3"],  # a formula is written as text
        [(DAY - timedelta(days=2)).isoformat(), "recording_viewed", "user", "7", "Ana Lee",
         "ses_one", "question 1", "192.0.2.1"]]
    export = log_lines(services)[-1]
    assert (export["action"], export["actor"], export["detail"]) == (
        Access.EXPORTED, Actor.USER, "access log CSV interview=ses_one")

    everything = csv_rows(acme.get("/admin/access-log.csv"))
    assert [row[1] for row in everything[1:]] == [
        "exported", "exported", "erased", "scorecard_viewed", "share_link_used",
        "recording_viewed"]


def test_the_csv_streams_past_one_batch(services, acme, monkeypatch):
    monkeypatch.setattr("connector.admin.access_log.CSV_BATCH", 2)
    rows = csv_rows(acme.get("/admin/access-log.csv"))
    assert [row[5] for row in rows[1:]] == ["", "ses_three", "ses_one", "ses_two", "ses_one"]


def test_another_organizations_admin_sees_none_of_it(services, acme, admin_client):
    globex = admin_client("Globex")
    html = globex.get("/admin/access-log").get_data(as_text=True)
    assert "Eve Globex" in html
    for leak in ("ses_one", "ses_two", "ses_three", "Ana Lee", "192.0.2."):
        assert leak not in html
    rows = csv_rows(globex.get("/admin/access-log.csv?actor=user"))
    assert [row[1] for row in rows[1:]] == ["exported", "review_viewed"]  # its own, Eve's
    assert rows[2][4] == "Eve Globex"
    assert csv_rows(globex.get("/admin/access-log.csv?interview=ses_one"))[1:] == []


def test_pages_of_fifty(services, acme):
    seed(services, "Acme", *[dict(action=Access.REVIEW_VIEWED, actor=Actor.USER,
                                  actor_id="7", interview=f"ses_p{n:03}", at=DAY)
                             for n in range(PAGE_SIZE)])
    first = acme.get("/admin/access-log").get_data(as_text=True)
    second = acme.get("/admin/access-log?page=2").get_data(as_text=True)
    assert "Next page" in first and "ses_one" not in first
    assert "ses_one" in second and "Next page" not in second


BAD_FILTERS = [
    "action=deleted", "actor=robot", "interview=ses one", "interview=" + "s" * 41,
    "from=2026-13-01", "to=yesterday", "from=2026-03-10&to=2026-03-09", "from=0001-01-01",
    "to=9999-12-31"]


def test_a_bad_filter_answers_400_and_writes_nothing(services, acme):
    before = row_counts(services)
    for query in BAD_FILTERS:
        for path in ("/admin/access-log", "/admin/access-log.csv"):
            response = acme.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query)
    for page in ("page=0", "page=x"):
        assert acme.get(f"/admin/access-log?{page}").status_code == 400
    assert row_counts(services) == before


def test_only_admins_reach_it(app, services, acme, user_client):
    reviewer = user_client("Acme", "reviewer")
    before = row_counts(services)
    for path in ("/admin/access-log", "/admin/access-log.csv"):
        assert reviewer.get(path).status_code == 404
        assert app.test_client().get(path).status_code in (302, 303)
    assert row_counts(services) == before
