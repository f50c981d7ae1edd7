"""The calls the install wizard makes to Harvest: listing stages and checking permissions."""

from __future__ import annotations

import pytest
import responses
from responses.matchers import query_string_matcher

from adapters.contract import Connection
from adapters.greenhouse import MANIFEST
from adapters.greenhouse.adapter import GreenhouseAdapter
from adapters.http import HostNotAllowed, Unauthorized
from tests.fakes.greenhouse import BASE_URL as BASE, CREDENTIALS, TOKEN_URL

STAGES = [{"id": 11, "job_id": 1, "name": "Async screen", "sort_order": 1, "active": True},
          {"id": 21, "job_id": 2, "name": "Async screen", "sort_order": 1, "active": True},
          {"id": 12, "job_id": 1, "name": "Onsite", "sort_order": 2, "active": True},
          {"id": 13, "job_id": 1, "name": "Old stage", "sort_order": 3, "active": False}]


def greenhouse(**credentials) -> GreenhouseAdapter:
    return MANIFEST.build(Connection(webhook_secret="s", credentials={**CREDENTIALS,
                                                                      **credentials}))


def test_list_stages_follows_pages_and_drops_inactive_stages():
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
        mock.add(responses.GET, f"{BASE}/v3/job_interview_stages",
                 json=STAGES[:2], match=[query_string_matcher("per_page=100")],
                 headers={"Link": f'<{BASE}/v3/job_interview_stages?cursor=abc>; rel="next"'})
        mock.add(responses.GET, f"{BASE}/v3/job_interview_stages",
                 json=STAGES[2:], match=[query_string_matcher("cursor=abc")])
        assert greenhouse().list_stages() == [("11", "Async screen"), ("21", "Async screen"),
                                              ("12", "Onsite")]


def test_list_stages_refuses_a_next_page_on_another_host():
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
        mock.add(responses.GET, f"{BASE}/v3/job_interview_stages", json=[],
                 headers={"Link": '<https://evil.example/v3/x>; rel="next"'})
        with pytest.raises(HostNotAllowed):
            greenhouse().list_stages()


def test_check_connection_names_the_missing_permission():
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
        mock.add(responses.GET, f"{BASE}/v3/notes", status=403, json={"message": "Forbidden"})
        with pytest.raises(Unauthorized) as refused:
            greenhouse().check_connection()
    assert refused.value.status == 403 and "list notes" in str(refused.value)
