"""The REST contract of the sandbox ATS, which any generic Kanban ATS can implement too.

Every call sends `Authorization: Bearer <api_key>` to paths under the installation's base URL:

    POST /applications/{id}/notes   {"body": "..."}                -> 201 {"id": ..., "body": ...}
    GET  /applications/{id}/notes                                  -> 200 [{"id": ..., "body": ...}]
    PUT  /applications/{id}/fields  {"score": 4.2, "recommendation": "yes", "review_url": ...}
    GET  /applications/{id}                                        -> 200 {"id", "stage_id"}
    POST /applications/{id}/move    {"stage_id", "from_stage_id"}  -> 200; 422 if it moved since

Errors are HTTP statuses (401, 404, 422, 429 with Retry-After, 5xx), mapped by adapters.http.
Knows HTTP and nothing of Flask or the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import quote

import requests

from adapters.http import (
    ApiClient, HostNotAllowed, Invalid, RateLimitInfo, Unauthorized, check_base_url,
)

# No built-in host: in production the operator lists the hosts installations may call
# (ATS_ALLOWED_HOSTS), and the base URL must be https on one of them.
ALLOWED_HOSTS: tuple[str, ...] = ()


def credential_problems(credentials: Mapping[str, str]) -> list[str]:
    """Name what is missing: the API key is all this contract needs."""
    return [] if credentials.get("api_key") else ["api_key is required"]


class SandboxClient(ApiClient):
    """Calls one board's API with its bearer key."""

    def __init__(self, base_url: str, api_key: str, session: requests.Session | None = None,
                 on_rate_limit: Callable[[RateLimitInfo], None] | None = None):
        super().__init__(base_url, session, on_rate_limit=on_rate_limit)
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, str], base_url: str | None,
                         *, strict_hosts: bool = True, extra_hosts: tuple[str, ...] = (),
                         on_rate_limit: Callable[[RateLimitInfo], None] | None = None,
                         ) -> SandboxClient:
        """A client for one installation; there is no default base URL to fall back on."""
        problems = credential_problems(credentials)
        if problems:
            raise Unauthorized("; ".join(problems))
        if not base_url:
            raise HostNotAllowed("no API base URL is set for this installation")
        base = check_base_url(base_url, ALLOWED_HOSTS + tuple(extra_hosts), strict_hosts)
        return cls(base, credentials["api_key"], on_rate_limit=on_rate_limit)

    def create_note(self, application_id: str, body: str) -> str:
        """Add a note to the application; returns the note's id."""
        response = self.request("POST", _path(application_id, "notes"), json={"body": body})
        return str(_json(response).get("id", ""))

    def find_note(self, application_id: str, marker: str) -> str | None:
        """The id of a note on this application whose body contains `marker`, if any."""
        response = self.request("GET", _path(application_id, "notes"))
        notes = _json(response)
        if not isinstance(notes, list):
            raise Invalid("GET notes: not a list", response.status_code)
        for note in notes:
            if isinstance(note, dict) and marker in str(note.get("body") or ""):
                return str(note.get("id"))
        return None

    def set_fields(self, application_id: str, values: Mapping[str, object]) -> None:
        """Replace the application's interview fields (score, recommendation, review link)."""
        self.request("PUT", _path(application_id, "fields"), json=dict(values))

    def stage(self, application_id: str) -> str | None:
        """The stage (column) the application is in now; None if the answer names none."""
        response = self.request("GET", _path(application_id))
        found = _json(response)
        stage = found.get("stage_id") if isinstance(found, dict) else None
        return str(stage) if stage not in (None, "") else None

    def move(self, application_id: str, from_stage_id: str, stage_id: str) -> None:
        """Move the application to another stage (column), unless it left `from_stage_id`."""
        self.request("POST", _path(application_id, "move"),
                     json={"stage_id": stage_id, "from_stage_id": from_stage_id})


def _path(application_id: str, action: str = "") -> str:
    # The id is the ATS's own string, quoted whole so a "/" stays inside its segment; a segment of
    # dots alone would be resolved as "." or ".." by urljoin and by servers, so it is refused.
    application_id = str(application_id)
    if not application_id.strip("."):
        raise Invalid(f"not an application id: {application_id!r}")
    path = f"applications/{quote(application_id, safe='')}"
    return f"{path}/{action}" if action else path


def _json(response: requests.Response):
    try:
        return response.json()
    except ValueError as exc:
        raise Invalid(f"{response.request.method} {response.url}: not JSON",
                      response.status_code) from exc
