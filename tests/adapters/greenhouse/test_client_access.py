"""The connection check proves what an installation needs: a token, the notes, and reads."""

from __future__ import annotations

import pytest
import responses

from adapters.greenhouse.client import NO_READS, GreenhouseClient
from adapters.http import Unauthorized
from tests.fakes.greenhouse import BASE_URL, CREDENTIALS, TOKEN_URL, FakeGreenhouse


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeGreenhouse(mock)
        fake.stages = [{"id": 11, "job_id": 1, "name": "Async screen"}]
        yield fake


def client() -> GreenhouseClient:
    return GreenhouseClient.from_credentials(CREDENTIALS, strict_hosts=False)


def test_a_site_admin_passes_with_one_token_and_two_cheap_reads(fake):
    client().check_access()
    assert [c["kind"] for c in fake.calls] == ["token", "list_notes", "list_stages"]
    assert fake.calls[1]["query"] == {"per_page": "1"}
    assert fake.calls[2]["url"] == f"{BASE_URL}/v3/job_interview_stages?per_page=1"


def test_a_user_who_is_not_a_site_admin_is_named_as_the_problem(fake):
    fake.site_admin = False  # v3 GETs answer 200 with nothing for other user types
    with pytest.raises(Unauthorized) as refused:
        client().check_access()
    assert refused.value.status == 403 and str(refused.value) == NO_READS
    assert NO_READS == ("Greenhouse returned nothing to read: the user whose id is given must "
                        "be a Site Admin, since Harvest v3 GET endpoints return no results for "
                        "other user types")


@pytest.mark.parametrize("path, message", [
    ("/v3/notes", "may not list notes: add the Notes scopes"),
    ("/v3/job_interview_stages", "may not list job interview stages"),
])
def test_a_missing_scope_is_named(path, message):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
        for listed in ("/v3/notes", "/v3/job_interview_stages"):
            answer = {"status": 403, "json": {"message": "Forbidden"}} if listed == path else \
                {"json": [{"id": 1}]}
            mock.get(f"{BASE_URL}{listed}", **answer)
        with pytest.raises(Unauthorized, match=message) as refused:
            client().check_access()
    assert refused.value.status == 403
