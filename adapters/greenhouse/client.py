"""Harvest v3: the Greenhouse API client. Knows HTTP and Greenhouse, nothing of Flask or the database.

Docs: https://harvestdocs.greenhouse.io/docs/authentication and .../write-endpoint-migration-guide
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import requests

from adapters.http import (
    ApiClient, HostNotAllowed, Invalid, RateLimitInfo, Temporary, TokenCache, Unauthorized,
    check_base_url, raise_for_status,
)

DEFAULT_BASE_URL = "https://harvest.greenhouse.io"
# OAuth 2.0 token endpoint for custom integrations (client credentials grant).
DEFAULT_TOKEN_URL = "https://auth.greenhouse.io/token"
ALLOWED_HOSTS = ("greenhouse.io",)
TOKEN_MARGIN_SECONDS = 60  # refresh a little before Greenhouse says the token expires
NOTE_VISIBILITY = "admin_only"  # "admin_only", "private" or "public", as in Harvest v1


def credential_problems(credentials: Mapping[str, str]) -> list[str]:
    """Name what is missing: an api_key, or a client_id with its client_secret."""
    problems = []
    has_client = bool(credentials.get("client_id") or credentials.get("client_secret"))
    if has_client and not (credentials.get("client_id") and credentials.get("client_secret")):
        problems.append("client_id and client_secret go together")
    if not has_client and not credentials.get("api_key"):
        problems.append("api_key, or client_id and client_secret, is required")
    user_id = credentials.get("user_id", "")
    if not user_id:
        problems.append("user_id (the Greenhouse user notes are written as) is required")
    elif not str(user_id).isdigit():
        problems.append("user_id must be the numeric id from the user's Greenhouse URL")
    return problems


class HarvestAuth(requests.auth.AuthBase):
    """The one place Harvest authentication lives: a cached bearer token, fetched on demand.

    Custom integrations use the client credentials grant with HTTP Basic client_id:client_secret
    and `sub` set to the acting user (docs: Authentication, step 2). An `api_key` is exchanged at
    the same endpoint with the key as the Basic user name and an empty password, as Harvest v1
    keys were sent; Greenhouse documented this exchange for the v1/v2 transition only.
    """

    def __init__(self, token_url: str, username: str, password: str, user_id: str,
                 session: requests.Session, cache: TokenCache | None = None):
        self.token_url = token_url
        self.basic = (username, password)
        self.user_id = user_id
        self.session = session
        self.cache = cache
        # Every input of the grant is in the key, so a changed secret never reuses a token,
        # and hashed, so the key names no secret.
        self.cache_key = hashlib.sha256(
            "\0".join((token_url, username, password, user_id)).encode()).hexdigest()
        self._token: str | None = None
        self._expires_at = 0.0
        self._refused = False  # Greenhouse refused our token: the shared one is no good either
        self._lock = threading.Lock()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request

    def token(self) -> str:
        """The bearer token: this client's, else the shared one, else a fresh one."""
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                self._token, usable_until = self._shared() or self._fetch_and_share()
                self._expires_at = time.monotonic() + max(0.0, usable_until - time.time())
            return self._token

    def _shared(self) -> tuple[str, float] | None:
        """A token another client fetched that is still good for a while, from the cache."""
        if self.cache is None or self._refused:
            return None
        hit = self.cache.get(self.cache_key)
        if hit is None or hit[1] - TOKEN_MARGIN_SECONDS <= time.time():
            return None
        return hit[0], hit[1] - TOKEN_MARGIN_SECONDS

    def _fetch_and_share(self) -> tuple[str, float]:
        """A fresh token from Greenhouse, put in the cache; returns it and when to stop using it."""
        token, lifetime = self._fetch()
        expires_at = time.time() + lifetime
        if self.cache is not None:
            self.cache.set(self.cache_key, token, expires_at)
        self._refused = False
        return token, expires_at - TOKEN_MARGIN_SECONDS

    def forget(self) -> None:
        """Drop the cached token, so the next call fetches a fresh one (not the shared one)."""
        with self._lock:
            self._token, self._refused = None, True

    def _fetch(self) -> tuple[str, float]:
        data = {"grant_type": "client_credentials", "sub": self.user_id}
        try:
            response = self.session.post(self.token_url, data=data, auth=self.basic,
                                         timeout=(5, 20), allow_redirects=False)
        except (requests.Timeout, TimeoutError) as exc:
            raise Temporary("POST token: timed out") from exc
        except requests.RequestException as exc:
            raise Temporary("POST token: connection failed") from exc
        if response.status_code in (400, 401):
            # OAuth errors (invalid_client, unauthorized_client) come back as 400 or 401.
            raise Unauthorized(f"POST token: HTTP {response.status_code} "
                               f"{_oauth_error(response)}", response.status_code)
        raise_for_status(response, "POST token")
        body = response.json()
        if not isinstance(body, dict) or not body.get("access_token"):
            raise Invalid("POST token: no access_token in the answer", response.status_code)
        return body["access_token"], float(body.get("expires_in") or 3600)


class GreenhouseClient(ApiClient):
    """Calls Harvest v3 on behalf of one Greenhouse user."""

    def __init__(self, base_url: str, auth: HarvestAuth, session: requests.Session | None = None,
                 on_rate_limit: Callable[[RateLimitInfo], None] | None = None):
        super().__init__(base_url, session or auth.session, on_rate_limit=on_rate_limit)
        self.auth = auth

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, str], base_url: str | None = None,
                         *, strict_hosts: bool = True, extra_hosts: tuple[str, ...] = (),
                         token_cache: TokenCache | None = None,
                         on_rate_limit: Callable[[RateLimitInfo], None] | None = None,
                         ) -> GreenhouseClient:
        """A client for one installation; `token_cache` shares its token with other processes."""
        problems = credential_problems(credentials)
        if problems:
            raise Unauthorized("; ".join(problems))
        base = check_base_url(base_url or DEFAULT_BASE_URL, ALLOWED_HOSTS, strict_hosts,
                              extra_hosts)
        token_url = check_base_url(credentials.get("token_url") or DEFAULT_TOKEN_URL,
                                   ALLOWED_HOSTS, strict_hosts, extra_hosts)
        if credentials.get("client_id"):
            username, password = credentials["client_id"], credentials["client_secret"]
        else:
            username, password = credentials["api_key"], ""
        session = requests.Session()
        auth = HarvestAuth(token_url, username, password, str(credentials["user_id"]), session,
                           cache=token_cache)
        return cls(base, auth, session, on_rate_limit=on_rate_limit)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Authenticated call; a 401 gets one retry with a fresh token (it may have expired early)."""
        kwargs["auth"] = self.auth
        try:
            return super().request(method, path, **kwargs)
        except Unauthorized as exc:
            if exc.status != 401:
                raise
            self.auth.forget()
            return super().request(method, path, **kwargs)

    def create_note(self, candidate_id: str, body: str, visibility: str = NOTE_VISIBILITY) -> str:
        """Add a note to the candidate's activity feed; returns the note's id."""
        # v1 POST /candidates/{id}/activity_feed/notes maps to v3 POST /v3/notes, the acting
        # user coming from the token's `sub` instead of an On-Behalf-Of header.
        payload = {"candidate_id": int(candidate_id), "body": body, "visibility": visibility}
        response = self.request("POST", "/v3/notes", json=payload)
        return str(_json(response).get("id", ""))

    def find_note(self, candidate_id: str, marker: str) -> str | None:
        """The id of a note on this candidate whose body contains `marker`, if any."""
        path: str | None = f"/v3/notes?candidate_id={int(candidate_id)}&per_page=100"
        while path:
            response = self.request("GET", path)
            for note in _json(response) or []:
                if marker in (note.get("body") or ""):
                    return str(note.get("id"))
            # v3 lists page with a cursor in the Link header (docs: Pagination).
            path = response.links.get("next", {}).get("url")
            if path and urlsplit(path).netloc not in ("", urlsplit(self.base_url).netloc):
                raise HostNotAllowed("a next-page link points at another host")
        return None

    def set_application_field(self, application_id: str, name_key: str, value: str) -> None:
        """Set one application custom field (Enterprise accounts have them) to `value`."""
        # Harvest v1 documents PATCH /v1/applications/{id} with custom_fields[] of
        # {"name_key" | "id", "value"}; the migration guide maps it to the same path under /v3.
        # The v3 body is assumed unchanged: not verified against harvestdocs.
        payload = {"custom_fields": [{"name_key": name_key, "value": value}]}
        self.request("PATCH", f"/v3/applications/{int(application_id)}", json=payload)

    def application(self, application_id: str) -> dict:
        """The application: its current_stage {"id", "name"} and jobs [{"id", "name"}]."""
        response = self.request("GET", f"/v3/applications/{int(application_id)}")
        body = _json(response)
        return body if isinstance(body, dict) else {}

    def move_application(self, application_id: str, from_stage_id: str,
                         to_stage_id: str) -> None:
        """Move an active application from one stage of its job to another."""
        # v1: POST /v1/applications/{id}/move {"from_stage_id", "to_stage_id"}; Greenhouse
        # refuses a from_stage_id that is not the current stage, so a stale move cannot undo a
        # recruiter's own. The v3 path is assumed from the migration guide, not verified.
        payload = {"from_stage_id": int(from_stage_id), "to_stage_id": int(to_stage_id)}
        self.request("POST", f"/v3/applications/{int(application_id)}/move", json=payload)

    def check(self) -> None:
        """A cheap authenticated call: raises Unauthorized when the credentials are wrong."""
        self.auth.token()

    def check_access(self) -> None:
        """A token, then one read every installation needs: listing notes (retries search them).

        GET /v3/notes is the v3 equivalent of v1's activity feed (READ endpoint migration
        guide); listing it without a candidate filter is assumed, not verified, to be allowed.
        """
        self.auth.token()
        try:
            self.request("GET", "/v3/notes?per_page=1")
        except Unauthorized as exc:
            if exc.status != 403:
                raise
            raise Unauthorized("these credentials may not list notes: add the Notes scopes "
                               "(list and create) to the API credentials", 403) from exc

    def job_interview_stages(self, max_pages: int = 20) -> list[dict]:
        """Every job's interview stages: [{"id", "job_id", "name", "sort_order", "active"}].

        GET /v3/job_interview_stages, cursor-paged through the Link header. The path and the
        fields come from Greenhouse's published v3 OpenAPI description as mirrored by
        MeltanoLabs/tap-greenhouse (streams.toml, schemas/job_interview_stages.json); not
        verified against a live account. Stages belong to one job each, so the same name
        appears once per job.
        """
        stages: list[dict] = []
        path: str | None = "/v3/job_interview_stages?per_page=100"
        for _ in range(max_pages):
            if not path:
                break
            response = self.request("GET", path)
            stages.extend(s for s in (_json(response) or []) if isinstance(s, dict))
            path = response.links.get("next", {}).get("url")
            if path and urlsplit(path).netloc not in ("", urlsplit(self.base_url).netloc):
                raise HostNotAllowed("a next-page link points at another host")
        return stages


def _json(response: requests.Response):
    try:
        return response.json()
    except ValueError as exc:
        raise Invalid(f"{response.request.method} {response.url}: not JSON",
                      response.status_code) from exc


def _oauth_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""
