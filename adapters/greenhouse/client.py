"""Harvest v3: the Greenhouse API client. Knows HTTP and Greenhouse, nothing of Flask or the database.

Docs: https://harvestdocs.greenhouse.io/docs/authentication and .../write-endpoint-migration-guide.
Each call names its source; [3P] marks what is known only from third-party readings of
Greenhouse's OpenAPI or from independent v3 clients, as shared/research/ats-apis-checked.md §1 does.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from urllib.parse import urlsplit

import requests

from adapters.http import (
    ApiClient, HostNotAllowed, Invalid, NotFound, RateLimitInfo, Temporary, TokenCache,
    Unauthorized, check_base_url, raise_for_status,
)

DEFAULT_BASE_URL = "https://harvest.greenhouse.io"
# OAuth 2.0 token endpoint for custom integrations (client credentials grant); an installation
# may name another Greenhouse host in its optional, non-secret `token_url` credential.
DEFAULT_TOKEN_URL = "https://auth.greenhouse.io/token"
ALLOWED_HOSTS = ("greenhouse.io",)
TOKEN_MARGIN_SECONDS = 60  # refresh a little before Greenhouse says the token expires
NOTE_VISIBILITY = "admin_only"  # "admin_only", "private" or "public" on create [3P]
NOTE_TYPE = "NOTE"  # the plain note; [3P] two independent v3 clients send it
PAGE_SIZE = 100
API_KEY_RETIRED = ("the Harvest API key stopped working when Harvest v1/v2 were retired on "
                   "2026-08-31: enter OAuth client credentials (client_id and client_secret)")
NO_READS = ("Greenhouse returned nothing to read: the user whose id is given must be a Site "
            "Admin, since Harvest v3 GET endpoints return no results for other user types")


def credential_problems(credentials: Mapping[str, str]) -> list[str]:
    """Name what is missing or no longer works: the client credentials, or the user id."""
    return _client_problems(credentials) + _user_problems(credentials)


def _client_problems(credentials: Mapping[str, str]) -> list[str]:
    """OAuth client credentials are the only way in since v1/v2 (and their API keys) retired."""
    client_id, secret = credentials.get("client_id"), credentials.get("client_secret")
    if client_id and secret:
        return []
    if client_id or secret:
        return ["client_id and client_secret go together"]
    if credentials.get("api_key"):
        return [API_KEY_RETIRED]
    return ["client_id and client_secret are required"]


def _user_problems(credentials: Mapping[str, str]) -> list[str]:
    """The user id is the token's `sub`: the notes' author, and the reader of every list."""
    user_id = credentials.get("user_id", "")
    if not user_id:
        return ["user_id (the Greenhouse user notes are written as) is required"]
    if not str(user_id).isdigit():
        return ["user_id must be the numeric id from the user's Greenhouse URL"]
    return []


class HarvestAuth(requests.auth.AuthBase):
    """The one place Harvest authentication lives: a cached bearer token, fetched on demand.

    Custom integrations use the client credentials grant with HTTP Basic client_id:client_secret
    and `sub` set to the acting user (https://harvestdocs.greenhouse.io/docs/authentication,
    step 2). Token requests count on a window of their own [3P], so their answers are not
    reported to the API budget.
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
        # POST https://auth.greenhouse.io/token, form grant_type=client_credentials&sub=<user>
        # (https://harvestdocs.greenhouse.io/docs/authentication).
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
        session = requests.Session()
        auth = HarvestAuth(token_url, credentials["client_id"], credentials["client_secret"],
                           str(credentials["user_id"]), session, cache=token_cache)
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
        # POST /v3/notes [3P: OpenCompanyApp/integrations registry, "Official … POST /v3/notes"];
        # the acting user comes from the token's `sub`. note_type "NOTE" is what two independent
        # v3 clients send [3P]; whether Greenhouse requires it is not confirmed.
        payload = {"candidate_id": int(candidate_id), "body": body, "visibility": visibility,
                   "note_type": NOTE_TYPE}
        response = self.request("POST", "/v3/notes", json=payload)
        return str(_json(response).get("id", ""))

    def find_note(self, candidate_id: str, marker: str) -> str | None:
        """The id of a note on this candidate whose body contains `marker`, if any."""
        # Parent filters are plural: "candidate_ids=12345,12346"
        # (https://harvestdocs.greenhouse.io/docs/list-endpoints; [3P] Airbyte's source-greenhouse
        # test asserts candidate_ids on /v3/notes).
        path = f"/v3/notes?candidate_ids={int(candidate_id)}&per_page={PAGE_SIZE}"
        for page in self._pages(path):
            for note in page:
                if marker in (note.get("body") or ""):
                    return str(note.get("id"))
        return None

    def set_application_field(self, application_id: str, name_key: str, value: str) -> None:
        """Set one application custom field (Enterprise accounts have them) to `value`."""
        # PATCH /v3/applications/{id}: the path is in the write-endpoint migration guide
        # (https://harvestdocs.greenhouse.io/docs/write-endpoint-migration-guide).
        # UNCONFIRMED: the body is Harvest v1's custom_fields[] of {"name_key" | "id", "value"};
        # no source shows the v3 body. Verify against a sandbox before relying on it.
        payload = {"custom_fields": [{"name_key": name_key, "value": value}]}
        self.request("PATCH", f"/v3/applications/{int(application_id)}", json=payload)

    def application(self, application_id: str) -> dict:
        """The application, flat: job_id, stage_id, job_interview_stage_id, stage_name, status."""
        # v3 has no single-record GET: filter the list with ids=
        # (https://harvestdocs.greenhouse.io/docs/list-endpoints; [3P] v3 README "Single-record
        # reads … Gone"). The flat shape is [3P] MeltanoLabs/tap-greenhouse applications.json.
        wanted = str(int(application_id))
        path = f"/v3/applications?ids={wanted}"
        # Matched on id, so a server that ignored the filter cannot hand us another application.
        response = self.request("GET", path)
        found = [a for a in _records(response) if str(a.get("id")) == wanted]
        if not found:
            raise NotFound(f"GET {path}: no such application", response.status_code)
        return found[0]

    def current_stage(self, application_id: str) -> tuple[str, str] | None:
        """(stage id, job id) where the application is now, or None when it has no stage to read."""
        application = self.application(application_id)
        # [3P] v3 clients move from job_interview_stage_id; whether stage_id always holds the
        # same id is not confirmed, so it is only the fallback.
        stage = _id(application.get("job_interview_stage_id"))
        stage = stage if stage is not None else _id(application.get("stage_id"))
        job = _id(application.get("job_id"))
        return None if stage is None or job is None else (stage, job)

    def move_application(self, application_id: str, from_stage_id: str,
                         to_stage_id: str) -> None:
        """Move an active application from one stage of its job to another."""
        # POST /v3/applications/{id}/move, answered 204
        # (https://harvestdocs.greenhouse.io/reference/post_v3-applications-id-move):
        # "from_stage_id is required and must match the candidate's current stage", so a stale
        # move cannot undo a recruiter's own. A move fires the stage's automated emails.
        payload = {"from_stage_id": int(from_stage_id), "to_stage_id": int(to_stage_id)}
        self.request("POST", f"/v3/applications/{int(application_id)}/move", json=payload)

    def check(self) -> None:
        """A cheap authenticated call: raises Unauthorized when the credentials are wrong."""
        self.auth.token()

    def check_access(self) -> None:
        """A token, the notes list every installation needs, then a read proving reads work."""
        self.auth.token()
        self._check_notes_scope()
        self._check_reads()

    def _check_notes_scope(self) -> None:
        """Listing notes (retries search them) is refused without the Notes scopes."""
        # GET /v3/notes is v1's activity feed in v3 (READ endpoint migration guide); listing it
        # without a candidate filter is assumed, not verified, to be allowed.
        try:
            self.request("GET", "/v3/notes?per_page=1")
        except Unauthorized as exc:
            if exc.status != 403:
                raise
            raise Unauthorized("these credentials may not list notes: add the Notes scopes "
                               "(list and create) to the API credentials", 403) from exc

    def _check_reads(self) -> None:
        """One stage: every account with a job has some, and only a Site Admin is shown them."""
        # [3P] v3 guide: "GET endpoints are only accessible by site admin users. All other user
        # types will not return results." An empty list is that, not an empty account.
        try:
            response = self.request("GET", "/v3/job_interview_stages?per_page=1")
        except Unauthorized as exc:
            if exc.status != 403:
                raise
            raise Unauthorized("these credentials may not list job interview stages: add the "
                               "Job Interview Stages list scope to the API credentials",
                               403) from exc
        if not _records(response):
            raise Unauthorized(NO_READS, 403)

    def job_interview_stages(self, job_id: str | None = None, max_pages: int = 20) -> list[dict]:
        """Interview stages, of one job or all: [{"id", "job_id", "name", "sort_order", "active"}].

        Stages belong to one job each, so the same name appears once per job.
        """
        # GET /v3/job_interview_stages, filterable by job_ids [3P: OpenAPI-derived schema in
        # MeltanoLabs/tap-greenhouse]; cursor-paged, see _pages. One job's stages are one page,
        # where every job's could be cut off at max_pages.
        path = f"/v3/job_interview_stages?per_page={PAGE_SIZE}"
        if job_id is not None:
            path += f"&job_ids={int(job_id)}"
        return [stage for page in islice(self._pages(path), max_pages) for stage in page]

    def _pages(self, path: str) -> Iterator[list[dict]]:
        """Each page of a list, following the cursor in the Link header as given."""
        # "keep calling the rel="next" URL" (https://harvestdocs.greenhouse.io/docs/pagination).
        next_path: str | None = path
        while next_path:
            response = self.request("GET", next_path)
            yield _records(response)
            next_path = response.links.get("next", {}).get("url")
            if next_path and urlsplit(next_path).netloc not in ("", urlsplit(self.base_url).netloc):
                raise HostNotAllowed("a next-page link points at another host")


def _json(response: requests.Response):
    try:
        return response.json()
    except ValueError as exc:
        raise Invalid(f"{response.request.method} {response.url}: not JSON",
                      response.status_code) from exc


def _records(response: requests.Response) -> list[dict]:
    """A list answer's objects; anything but a JSON list is not what v3 lists send."""
    body = _json(response)
    if not isinstance(body, list):
        raise Invalid(f"{response.request.method} {response.url}: not a list",
                      response.status_code)
    return [item for item in body if isinstance(item, dict)]


def _id(value) -> str | None:
    """A Greenhouse id as text; None for anything that is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return str(value)
    return None


def _oauth_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""
