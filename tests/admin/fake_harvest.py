"""Harvest as the install wizard meets it: token, notes check, stages, and the test event;
and the wizard's first step as the tests take it."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qs, urlsplit

import responses
from sqlalchemy import select

from connector.models import Installation
from tests.admin.conftest import post_form

from tests.fakes.greenhouse import (
    BASE_URL as BASE, CLIENT_ID, CLIENT_SECRET, CREDENTIALS, TOKEN_URL, USER_ID,
)

STAGES = [{"id": 11, "job_id": 1, "name": "Async screen", "sort_order": 1, "active": True},
          {"id": 21, "job_id": 2, "name": "Async screen", "sort_order": 1, "active": True},
          {"id": 12, "job_id": 1, "name": "Onsite", "sort_order": 2, "active": True},
          {"id": 13, "job_id": 1, "name": "Old stage", "sort_order": 3, "active": False}]
FORM = {"name": "Acme Greenhouse", **CREDENTIALS}


class FakeHarvest:
    """Greenhouse's token, notes-check and stages endpoints; `calls` lists (method, URL)."""

    def __init__(self, mock: responses.RequestsMock, app):
        self.app, self.calls = app, []
        self.token_status, self.notes_status, self.stages_status = 200, 200, 200
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)
        mock.add_callback(responses.GET, re.compile(re.escape(BASE) + r"/v3/notes.*"),
                          callback=self._notes)
        mock.add_callback(responses.GET,
                          re.compile(re.escape(BASE) + r"/v3/job_interview_stages.*"),
                          callback=self._stages)
        # The test event's self-POST: handed to the app, as the public URL would be.
        mock.add_callback(responses.POST, re.compile(r"https://connector\.test/webhooks/.*"),
                          callback=self._webhook)

    def _token(self, request):
        self.calls.append(("POST", request.url))
        user, _, password = base64.b64decode(
            request.headers["Authorization"][6:]).decode().partition(":")
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        if self.token_status != 200 or (user, password) != (CLIENT_ID, CLIENT_SECRET) \
                or form.get("sub") != USER_ID:
            return self.token_status if self.token_status != 200 else 401, {}, \
                json.dumps({"error": "invalid_client"})
        return 200, {}, json.dumps({"access_token": "t-1", "expires_in": 3600})

    def _notes(self, request):
        self.calls.append(("GET", request.url))
        return self.notes_status, {}, json.dumps([] if self.notes_status == 200 else
                                                 {"message": "Forbidden"})

    def _stages(self, request):
        self.calls.append(("GET", request.url))
        return self.stages_status, {}, json.dumps(STAGES if self.stages_status == 200 else
                                                  {"message": "Forbidden"})

    def _webhook(self, request):
        path = urlsplit(request.url).path
        answer = self.app.test_client().post(path, data=request.body,
                                             headers=dict(request.headers))
        return answer.status_code, {}, answer.get_data()

    def writes(self) -> list:
        """Calls that could change Greenhouse: anything but the token and GETs."""
        return [c for c in self.calls if c[0] != "GET" and c[1] != TOKEN_URL]


def post(client, path, **data):
    return post_form(client, path, data, token_from="/admin/installations")


def installation_ids(services) -> list[int]:
    with services.db.session() as db:
        return list(db.scalars(select(Installation.id).order_by(Installation.id)))


def install(admin, services, **form) -> int:
    """Through the credentials step; the new installation's id."""
    response = post(admin, "/admin/installations/new/greenhouse", **{**FORM, **form})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return installation_ids(services)[-1]
