"""A rate-limited fake Greenhouse on loopback: a real HTTP server that worker processes can call.

Token: POST /token with HTTP Basic client credentials, as in tests/fakes/greenhouse.py, on a
window of its own. Notes: POST /v3/notes and GET /v3/notes?candidate_ids=..., with a bearer
token, refused as tests/fakes/greenhouse.py refuses them. The notes endpoints together allow
`limit` requests per fixed window of `per` seconds, as Harvest v3 does per integration [3P]:
each answer carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (seconds until
the window resets), and a request over the limit gets a 429 with Retry-After. 75 requests per
30 seconds is the v3 guide's example, not a documented figure.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import asdict

from sqlalchemy import func, select
from werkzeug.wrappers import Request, Response

from adapters.events import Outcome
from connector.installations import create_installation
from connector.models import OutboxStatus, Push
from tests.fakes.greenhouse import listed_notes, note_refusal
from tests.fakes.loopback import LoopbackGreenhouse, json_response


class RateLimitedGreenhouse(LoopbackGreenhouse):
    """Start with `start()`; `notes`, `throttled` and `tokens_issued` say what it saw."""

    def __init__(self, limit: int = 75, per: float = 30.0):
        super().__init__()
        self.limit, self.per = limit, per
        self.notes: list[dict] = []
        self.throttled = 0  # 429s answered
        self.requests = 0  # notes requests, admitted or not
        # Windows are [started + k*per, started + (k+1)*per) from the first counted request, so
        # a test's first calls share one window however long the set-up took.
        self._started: float | None = None
        self._window, self._count = 0, 0  # the current window's number and the calls in it

    def handle(self, request: Request) -> Response:
        if request.path != "/v3/notes" or request.method not in ("GET", "POST"):
            return json_response({"message": "Not found"}, 404)
        if not re.fullmatch(r"Bearer token-\d+", request.headers.get("Authorization", "")):
            return json_response({"message": "Unauthorized"}, 401)
        admitted, remaining, reset = self._admit()
        budget = self._budget(remaining, reset)
        if not admitted:
            return json_response({"message": "Too many requests"}, 429, {
                "Retry-After": budget["X-RateLimit-Reset"], **budget})
        if request.method == "GET":
            return self._list(request, budget)
        return self._create(request, budget)

    def _admit(self) -> tuple[bool, int, float]:
        """Count a notes request in its fixed window: admitted, calls left, seconds to reset."""
        now = time.monotonic()
        with self._lock:
            if self._started is None:
                self._started = now
            window = int((now - self._started) // self.per)
            reset = self._started + (window + 1) * self.per - now
            self.requests += 1
            if window != self._window:
                self._window, self._count = window, 0
            if self._count >= self.limit:
                self.throttled += 1
                return False, 0, reset
            self._count += 1
            return True, self.limit - self._count, reset

    def _budget(self, remaining: int, reset: float) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(max(1, math.ceil(reset)))}

    def _create(self, request: Request, budget: dict[str, str]) -> Response:
        body = request.get_json()
        refusal = note_refusal(body)
        if refusal:
            return json_response({"message": refusal}, 422, budget)
        with self._lock:
            note = {"id": 1000 + len(self.notes), **body}
            self.notes.append(note)
        return json_response(note, 201, budget)

    def _list(self, request: Request, budget: dict[str, str]) -> Response:
        with self._lock:
            status, found = listed_notes(self.notes, request.args.to_dict())
        return json_response(found, status, budget)


def add_pushes(services, fake: RateLimitedGreenhouse, count: int, organization: str = "Acme",
               label: str = "load") -> list[int]:
    """An installation pointed at the fake, and `count` pending notes with distinct markers."""
    with services.db.session() as session:
        installation, _ = create_installation(
            session, services.keyring, ats="greenhouse", organization=organization,
            name="Loopback", trigger_stages=["Assessment"], template_id=None,
            api_base_url=fake.url, credentials=fake.credentials, strict_hosts=False)
        pushes = [Push(installation_id=installation.id, kind="invited", dedupe_key=f"{label}:{n}",
                       payload=asdict(Outcome("invited", str(70000 + n), str(265000 + n),
                                              f"Invited. [{label} {n}]", f"[{label} {n}]")))
                  for n in range(count)]
        session.add_all(pushes)
        session.flush()
        return [push.id for push in pushes]


def delivered(services) -> int:
    """How many pushes have reached the ATS."""
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(Push)
                              .where(Push.status == OutboxStatus.DELIVERED))
