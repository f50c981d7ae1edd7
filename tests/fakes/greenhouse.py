"""A fake Greenhouse Harvest v3 API for `responses`, built from the documented contract.

What it answers, as shared/research/ats-apis-checked.md §1 found Greenhouse documents it:
- Token: POST https://auth.greenhouse.io/token, HTTP Basic client credentials, form body with
  grant_type=client_credentials and sub=<user id>; answers {"access_token", "token_type",
  "expires_in"}.
- Notes: POST /v3/notes {candidate_id, body, visibility, note_type} (422 without note_type
  "NOTE" or with another visibility than public/private/admin_only); GET /v3/notes filtered by
  the plural candidate_ids= (422 for the singular candidate_id=, as v3 parent filters are plural).
- Applications: no single-record GET (v3 has none); GET /v3/applications?ids=... lists them flat
  (job_id, stage_id, job_interview_stage_id, stage_name, status); PATCH /v3/applications/{id}
  with custom_fields [{"name_key", "value"}] (the v3 body is unconfirmed); POST .../move
  {"from_stage_id", "to_stage_id"}, 204, refused with 422 unless from_stage_id is the current
  stage.
- Job interview stages: GET /v3/job_interview_stages, filtered by job_ids=.
Every GET list answers an empty list unless `site_admin` is true, as v3 GETs do for any other
user type. Every call is appended to `calls`, and to a JSON-lines file when one is given, so a
test can read what another process (a `connector worker`) sent.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import responses

TOKEN_URL = "https://auth.greenhouse.io/token"
BASE_URL = "https://harvest.greenhouse.io"
CLIENT_ID, CLIENT_SECRET, USER_ID = "client-123", "secret-456", "4080"
CREDENTIALS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "user_id": USER_ID}
NOTE_VISIBILITIES = ("public", "private", "admin_only")  # what a note may be created with [3P]


def note_refusal(body: Mapping) -> str | None:
    """Why POST /v3/notes refuses this body with a 422, or None when it is accepted."""
    if not isinstance(body.get("candidate_id"), int) or not body.get("body"):
        return "candidate_id and body are required"
    if body.get("note_type") != "NOTE":
        return "note_type is required (this fake creates NOTE only)"
    if body.get("visibility") not in NOTE_VISIBILITIES:
        return "visibility must be public, private or admin_only"
    return None


def listed_notes(notes: list[dict], query: Mapping[str, str]) -> tuple[int, object]:
    """GET /v3/notes: (status, body) for a query, filtered by the plural candidate_ids."""
    if "candidate_id" in query:
        return 422, {"message": "unknown filter candidate_id: parent filters are candidate_ids"}
    wanted = ids_in(query.get("candidate_ids"))
    found = [n for n in notes if wanted is None or n["candidate_id"] in wanted]
    return 200, found[:int(query.get("per_page") or 100)]


def ids_in(value: str | None) -> set[int] | None:
    """The ids of a comma-separated filter such as ids=1,2; None when there is no filter."""
    return None if value is None else {int(part) for part in value.split(",") if part.strip()}


class FakeGreenhouse:
    """Greenhouse's token, notes, applications and stages endpoints, with scripted failures."""

    def __init__(self, mock: responses.RequestsMock, record_file: Path | None = None):
        self.mock = mock
        self.record_file = record_file
        self.notes: list[dict] = []
        self.calls: list[dict] = []
        self.tokens_issued = 0
        self.site_admin = True  # the token's user; lists are empty for anyone else
        self.failures: list[tuple[int, dict]] = []  # (status, headers) for the next note POSTs
        self.field_failures: list[int] = []  # statuses for the next custom field PATCHes
        # application id -> the flat v3 application, with "custom_fields" {name_key: value}
        self.applications: dict[int, dict] = {}
        self.stages: list[dict] = []  # {"id", "job_id", "name"}: each job has its own
        # Called with the application before a move is checked: someone else's move racing ours.
        self.before_move: Callable[[dict], None] | None = None
        self._lock = threading.Lock()
        base = re.escape(BASE_URL)
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)
        mock.add_callback(responses.POST, f"{BASE_URL}/v3/notes", callback=self._create_note)
        mock.add_callback(responses.GET, re.compile(base + r"/v3/notes(\?.*)?$"),
                          callback=self._list_notes)
        mock.add_callback(responses.GET, re.compile(base + r"/v3/applications(\?.*)?$"),
                          callback=self._list_applications)
        application = base + r"/v3/applications/(\d+)"
        mock.add_callback(responses.PATCH, re.compile(application + "$"),
                          callback=self._patch_application)
        mock.add_callback(responses.POST, re.compile(application + "/move$"),
                          callback=self._move_application)
        mock.add_callback(responses.GET, re.compile(base + r"/v3/job_interview_stages(\?.*)?$"),
                          callback=self._stages)

    def add_application(self, application_id: int, stage_id: int, job_id: int = 87752) -> dict:
        """An active application at `stage_id` of `job_id`, in v3's flat shape."""
        self.applications[application_id] = {
            "id": application_id, "job_id": job_id, "status": "in_process", "custom_fields": {},
            **self._at_stage(stage_id)}
        return self.applications[application_id]

    def _at_stage(self, stage_id: int) -> dict:
        names = {s["id"]: s.get("name") for s in self.stages}
        return {"stage_id": stage_id, "job_interview_stage_id": stage_id,
                "stage_name": names.get(stage_id)}

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
            return _answer(401, {"message": "Unauthorized"})
        with self._lock:
            if self.failures:
                status, headers = self.failures.pop(0)
                return status, headers, json.dumps({"message": f"scripted {status}"})
            refusal = note_refusal(body)
            if refusal:
                return _answer(422, {"message": refusal})
            note = {"id": 1000 + len(self.notes), **body}
            self.notes.append(note)
        return _answer(201, note)

    def _list_notes(self, request):
        query = _query(request)
        self._record("list_notes", {"query": query})
        if not self._authorized(request):
            return _answer(401, {"message": "Unauthorized"})
        status, body = listed_notes(self.notes, query)
        return _answer(status, self._as_reader(body))

    def _list_applications(self, request):
        query = _query(request)
        self._record("list_applications", {"query": query})
        if not self._authorized(request):
            return _answer(401, {"message": "Unauthorized"})
        wanted = ids_in(query.get("ids"))
        found = [a for i, a in self.applications.items() if wanted is None or i in wanted]
        return _answer(200, self._as_reader(found))

    def _stages(self, request):
        query = _query(request)
        self._record("list_stages", {"url": request.url})
        if not self._authorized(request):
            return _answer(401, {"message": "Unauthorized"})
        jobs = ids_in(query.get("job_ids"))
        found = [s for s in self.stages if jobs is None or s.get("job_id") in jobs]
        return _answer(200, self._as_reader(found[:int(query.get("per_page") or 100)]))

    def _as_reader(self, body):
        """What the token's user may read: nothing from a list unless a Site Admin."""
        return body if self.site_admin or not isinstance(body, list) else []

    def _application(self, request) -> tuple[dict | None, tuple | None]:
        """The application a request names, or the error answer to give instead."""
        if not self._authorized(request):
            return None, _answer(401, {"message": "Unauthorized"})
        found = self.applications.get(int(re.search(r"/applications/(\d+)", request.url)[1]))
        if found is None:
            return None, _answer(404, {"message": "Resource not found"})
        return found, None

    def _patch_application(self, request):
        body = json.loads(request.body)
        self._record("patch_application", {"url": request.url, "json": body})
        found, error = self._application(request)
        if error:
            return error
        if self.field_failures:
            return _answer(self.field_failures.pop(0), {"message": "scripted"})
        for field in body.get("custom_fields", []):
            found["custom_fields"][field["name_key"]] = field["value"]
        return _answer(200, found)

    def _move_application(self, request):
        body = json.loads(request.body)
        self._record("move_application", {"url": request.url, "json": body})
        found, error = self._application(request)
        if error:
            return error
        if self.before_move is not None:
            self.before_move(found)
        if body.get("from_stage_id") != found["job_interview_stage_id"]:
            return _answer(422, {"message": "from_stage_id is not the current stage"})
        found.update(self._at_stage(body["to_stage_id"]))
        return 204, {}, ""


def _answer(status: int, body) -> tuple[int, dict, str]:
    return status, {}, json.dumps(body)


def _query(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def _basic(header: str) -> tuple[str, str, str]:
    if not header.startswith("Basic "):
        return "", "", ""
    return base64.b64decode(header[6:]).decode().partition(":")


def recorded(record_file: Path) -> list[dict]:
    """The calls another process recorded, in order."""
    if not record_file.exists():
        return []
    return [json.loads(line) for line in record_file.read_text().splitlines() if line]
