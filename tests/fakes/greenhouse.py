"""A fake Greenhouse Harvest v3 API for `responses`, built from the documented contract.

Token: POST https://auth.greenhouse.io/token, HTTP Basic client credentials, form body with
grant_type=client_credentials and sub=<user id>; answers {"access_token", "token_type",
"expires_in"}. Notes: POST /v3/notes and GET /v3/notes?candidate_id=..., bearer token required.
Applications (v1's shapes under /v3): GET /v3/applications/{id} with its current_stage, PATCH
with custom_fields [{"name_key", "value"}], POST .../move {"from_stage_id", "to_stage_id"}
(refused with 422 unless from_stage_id is the current stage, as Harvest documents).
Every call is appended to `calls`, and to a JSON-lines file when one is given, so a test can
read what another process (an rq work horse) sent.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import responses

TOKEN_URL = "https://auth.greenhouse.io/token"
BASE_URL = "https://harvest.greenhouse.io"
CLIENT_ID, CLIENT_SECRET, USER_ID = "client-123", "secret-456", "4080"
CREDENTIALS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "user_id": USER_ID}


class FakeGreenhouse:
    """Greenhouse's token and notes endpoints, with scripted failures."""

    def __init__(self, mock: responses.RequestsMock, record_file: Path | None = None):
        self.mock = mock
        self.record_file = record_file
        self.notes: list[dict] = []
        self.calls: list[dict] = []
        self.tokens_issued = 0
        self.failures: list[tuple[int, dict]] = []  # (status, headers) for the next note POSTs
        self.field_failures: list[int] = []  # statuses for the next custom field PATCHes
        # application id -> {"current_stage": {"id": ...}, "custom_fields": {name_key: value}}
        self.applications: dict[int, dict] = {}
        self._lock = threading.Lock()
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)
        mock.add_callback(responses.POST, f"{BASE_URL}/v3/notes", callback=self._create_note)
        mock.add_callback(responses.GET, re.compile(re.escape(BASE_URL) + r"/v3/notes\?.*"),
                          callback=self._list_notes)
        application = re.escape(BASE_URL) + r"/v3/applications/(\d+)"
        mock.add_callback(responses.GET, re.compile(application + "$"),
                          callback=self._get_application)
        mock.add_callback(responses.PATCH, re.compile(application + "$"),
                          callback=self._patch_application)
        mock.add_callback(responses.POST, re.compile(application + "/move$"),
                          callback=self._move_application)
        self.stages: list[dict] = []  # {"id", "job_id", "name"}: each job has its own
        mock.add_callback(responses.GET, re.compile(
            re.escape(BASE_URL) + r"/v3/job_interview_stages(\?.*)?$"), callback=self._stages)

    def add_application(self, application_id: int, stage_id: int, job_id: int = 87752) -> dict:
        self.applications[application_id] = {"id": application_id,
                                             "current_stage": {"id": stage_id},
                                             "jobs": [{"id": job_id}], "custom_fields": {}}
        return self.applications[application_id]

    def _stages(self, request):
        self._record("list_stages", {"url": request.url})
        if not self._authorized(request):
            return 401, {}, json.dumps({"message": "Unauthorized"})
        return 200, {}, json.dumps(self.stages)

    def fail_next(self, status: int, headers: dict | None = None, times: int = 1) -> None:
        self.failures.extend([(status, headers or {})] * times)

    def _record(self, kind: str, data: dict) -> None:
        entry = {"kind": kind, **data}
        with self._lock:
            self.calls.append(entry)
            if self.record_file:
                with self.record_file.open("a") as f:
                    f.write(json.dumps(entry) + "\n")

    def _token(self, request):
        user, _, password = _basic(request.headers.get("Authorization", ""))
        form = {k: v[0] for k, v in parse_qs(request.body or "").items()}
        self._record("token", {"client_id": user, "form": form})
        if (user, password) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {}, json.dumps({"error": "invalid_client"})
        if form.get("grant_type") != "client_credentials" or form.get("sub") != USER_ID:
            return 400, {}, json.dumps({"error": "invalid_request"})
        self.tokens_issued += 1
        token = f"token-{self.tokens_issued}"
        return 200, {}, json.dumps({"access_token": token, "token_type": "Bearer",
                                    "expires_in": 3600})

    def _authorized(self, request) -> bool:
        return re.fullmatch(r"Bearer token-\d+", request.headers.get("Authorization", "")) is not None

    def _create_note(self, request):
        body = json.loads(request.body)
        self._record("create_note", {"json": body})
        if not self._authorized(request):
            return 401, {}, json.dumps({"message": "Unauthorized"})
        with self._lock:
            if self.failures:
                status, headers = self.failures.pop(0)
                return status, headers, json.dumps({"message": f"scripted {status}"})
            note = {"id": 1000 + len(self.notes), **body}
            self.notes.append(note)
        return 201, {}, json.dumps(note)

    def _list_notes(self, request):
        query = parse_qs(urlsplit(request.url).query)
        self._record("list_notes", {"query": {k: v[0] for k, v in query.items()}})
        if not self._authorized(request):
            return 401, {}, json.dumps({"message": "Unauthorized"})
        candidate = int(query["candidate_id"][0])
        return 200, {}, json.dumps([n for n in self.notes if n["candidate_id"] == candidate])


    def _application(self, request) -> tuple[dict | None, tuple | None]:
        """The application a request names, or the error answer to give instead."""
        if not self._authorized(request):
            return None, (401, {}, json.dumps({"message": "Unauthorized"}))
        found = self.applications.get(int(re.search(r"/applications/(\d+)", request.url)[1]))
        if found is None:
            return None, (404, {}, json.dumps({"message": "Resource not found"}))
        return found, None

    def _get_application(self, request):
        self._record("get_application", {"url": request.url})
        found, error = self._application(request)
        return error or (200, {}, json.dumps(found))

    def _patch_application(self, request):
        body = json.loads(request.body)
        self._record("patch_application", {"url": request.url, "json": body})
        found, error = self._application(request)
        if error:
            return error
        if self.field_failures:
            return self.field_failures.pop(0), {}, json.dumps({"message": "scripted"})
        for field in body.get("custom_fields", []):
            found["custom_fields"][field["name_key"]] = field["value"]
        return 200, {}, json.dumps(found)

    def _move_application(self, request):
        body = json.loads(request.body)
        self._record("move_application", {"url": request.url, "json": body})
        found, error = self._application(request)
        if error:
            return error
        if body.get("from_stage_id") != found["current_stage"]["id"]:
            return 422, {}, json.dumps({"message": "from_stage_id is not the current stage"})
        found["current_stage"] = {"id": body["to_stage_id"]}
        return 200, {}, json.dumps({"message": "Application moved"})


def _basic(header: str) -> tuple[str, str, str]:
    if not header.startswith("Basic "):
        return "", "", ""
    return base64.b64decode(header[6:]).decode().partition(":")


def recorded(record_file: Path) -> list[dict]:
    """The calls another process recorded, in order."""
    if not record_file.exists():
        return []
    return [json.loads(line) for line in record_file.read_text().splitlines() if line]
