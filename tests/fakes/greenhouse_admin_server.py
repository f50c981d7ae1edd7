"""A fake Greenhouse on loopback for the install wizard: a real HTTP server a browser test's
web process can call.

Token: POST /token with HTTP Basic client credentials and sub=<user id>, as in
tests/fakes/greenhouse.py; wrong ones get 401 {"error": "invalid_client"}. With a bearer token:
GET /v3/notes (the connection check; `forbid_notes` makes it a 403) and
GET /v3/job_interview_stages (every job's stages, cursor-paged through the Link header, per
Harvest v3's pagination guide). Every other request is recorded in `writes` and answered 201,
so a test can show nothing was written.
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Request, Response

from tests.fakes.loopback import LoopbackGreenhouse, json_response

# Two jobs with the same plan, as Greenhouse gives every job its own copy of each stage.
STAGES = [
    {"id": job * 100 + n, "job_id": job, "name": name, "sort_order": n, "active": True}
    for job in (1, 2)
    for n, name in enumerate(["Application Review", "Async screen", "Onsite", "Offer"])
] + [{"id": 999, "job_id": 1, "name": "Retired stage", "sort_order": 9, "active": False}]


class GreenhouseAdminServer(LoopbackGreenhouse):
    """Start with `start()`; `calls` and `writes` say what it was asked."""

    def __init__(self, page_size: int = 4):
        super().__init__()
        self.page_size = page_size
        self.forbid_notes = False
        self.calls: list[tuple[str, str]] = []
        self.writes: list[tuple[str, str]] = []

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.calls.append((request.method, request.full_path))
        if not re.fullmatch(r"Bearer token-\d+", request.headers.get("Authorization", "")):
            return json_response({"message": "Unauthorized"}, 401)
        if request.method != "GET":
            with self._lock:
                self.writes.append((request.method, request.path))
            return json_response({"id": 1}, 201)
        if request.path == "/v3/notes":
            if self.forbid_notes:
                return json_response({"message": "Forbidden: missing scope"}, 403)
            return json_response([])
        if request.path == "/v3/job_interview_stages":
            return self._stages(request)
        return json_response({"message": "Not found"}, 404)

    def _stages(self, request: Request) -> Response:
        start = int(request.args.get("cursor", "0"))
        page = STAGES[start:start + self.page_size]
        headers = {}
        if start + self.page_size < len(STAGES):
            headers["Link"] = (f'<{self.url}/v3/job_interview_stages?cursor='
                               f'{start + self.page_size}>; rel="next"')
        return json_response(page, 200, headers)

