"""The admin sessions page: search, filters in the organization's time zone, pages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, UTC

import pytest
from sqlalchemy import select

from connector.admin.ops import PAGE_SIZE
from connector.models import InterviewState, Organization, utcnow
from tests.admin.ops_rows import add_session, html


def test_sessions_search_is_case_insensitive_on_name_and_e_mail(admin_client, services,
                                                                installation):
    first = add_session(services, installation, "Ödön Kovács", "odon@example.com")
    add_session(services, installation, "Pat Doe", "PAT.DOE@Example.com")
    add_session(services, installation, "Sam 100% Smith", "sam@example.com")
    client = admin_client("Acme")

    def names(query):
        page = html(client.get(f"/admin/sessions?{query}"))
        return sorted(re.findall(r'/review/sessions/[^"]+">([^<]+)<', page))

    assert names("q=ÖDÖN") == ["Ödön Kovács"]
    assert names("q=kovÁcs") == ["Ödön Kovács"]
    assert names("q=pat.doe@EXAMPLE") == ["Pat Doe"]
    assert names("q=%25") == ["Sam 100% Smith"]  # a literal %, not a wildcard
    assert names("q=_") == []
    assert names("") == ["Pat Doe", "Sam 100% Smith", "Ödön Kovács"]
    assert f'href="/review/sessions/{first}"' in html(client.get("/admin/sessions?q=odon"))


def test_sessions_filter_by_state_job_and_creation_day_in_the_org_zone(
        admin_client, services, installation):
    with services.db.session() as db:
        db.scalar(select(Organization).where(Organization.name == "Acme")).timezone = (
            "America/New_York")
    # 03:00 UTC on 2 March is 22:00 on 1 March in New York.
    late = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    add_session(services, installation, "Ann", "ann@example.com", "Designer",
                InterviewState.COMPLETED, created_at=late)
    add_session(services, installation, "Bo", "bo@example.com", "Engineer",
                InterviewState.INVITED, created_at=late + timedelta(days=1))
    client = admin_client("Acme")

    def names(query):
        return re.findall(r'/review/sessions/[^"]+">([^<]+)<',
                          html(client.get(f"/admin/sessions?{query}")))

    assert names("state=completed") == ["Ann"]
    assert names("job_title=Engineer") == ["Bo"]
    assert names("created_from=2026-03-01&created_to=2026-03-01") == ["Ann"]
    assert names("created_from=2026-03-02") == ["Bo"]
    assert names("created_to=2026-03-01") == ["Ann"]
    assert names("created_to=2026-03-02") == ["Bo", "Ann"]  # newest first
    assert names("state=invited&job_title=Designer") == []
    page = html(client.get("/admin/sessions"))
    assert '<option value="Designer">' in page and "America/New_York" in page


@pytest.mark.parametrize("query", ["state=lost", "created_from=yesterday",
                                   "created_from=2026-03-05&created_to=2026-03-01",
                                   "q=" + "x" * 201])
def test_bad_session_filters_are_a_400(admin_client, installation, query):
    assert admin_client("Acme").get(f"/admin/sessions?{query}").status_code == 400


def test_sessions_are_paginated(admin_client, services, installation):
    start = utcnow() - timedelta(days=2)
    for n in range(PAGE_SIZE + 2):
        add_session(services, installation, f"Person {n:03d}", f"p{n}@example.com",
                    created_at=start + timedelta(minutes=n))
    client = admin_client("Acme")
    assert "Person 001" not in html(client.get("/admin/sessions"))
    second = html(client.get("/admin/sessions?page=2"))
    assert "Person 001" in second and "Person 000" in second and "Person 051" not in second
