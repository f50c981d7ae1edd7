"""A rate-limited fake Greenhouse on loopback: a real HTTP server that worker processes can call.

Token: POST /token with HTTP Basic client credentials, as in tests/fakes/greenhouse.py. Notes:
POST /v3/notes and GET /v3/notes?candidate_id=..., with a bearer token. The notes endpoints
together allow `limit` requests per `per` seconds in a moving window, as Harvest does per API
key: each answer carries X-RateLimit-Limit and X-RateLimit-Remaining, and a request over the
limit gets a 429 with Retry-After (https://harvestdocs.greenhouse.io/docs/api-rate-limiting).
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from dataclasses import asdict

from sqlalchemy import func, select
from werkzeug.wrappers import Request, Response

from adapters.events import Outcome
from connector.installations import create_installation
from connector.models import OutboxStatus, Push
from tests.fakes.loopback import LoopbackGreenhouse, json_response


class RateLimitedGreenhouse(LoopbackGreenhouse):
    """Start with `start()`; `notes`, `throttled` and `tokens_issued` say what it saw."""

    def __init__(self, limit: int = 50, per: float = 10.0):
        super().__init__()
        self.limit, self.per = limit, per
        self.notes: list[dict] = []
        self.throttled = 0  # 429s answered
        self._recent: deque[float] = deque()  # when each admitted notes request arrived

    def handle(self, request: Request) -> Response:
        if request.path != "/v3/notes" or request.method not in ("GET", "POST"):
            return json_response({"message": "Not found"}, 404)
        if not re.fullmatch(r"Bearer token-\d+", request.headers.get("Authorization", "")):
            return json_response({"message": "Unauthorized"}, 401)
        remaining, retry_after = self._admit()
        if retry_after is not None:
            return json_response({"message": "Too many requests"}, 429, {
                "Retry-After": str(retry_after), **self._budget(0)})
        if request.method == "GET":
            return self._list(request, remaining)
        return self._create(request, remaining)

    def _admit(self) -> tuple[int, int | None]:
        """Count a notes request in the window: (calls remaining, None) or (0, Retry-After)."""
        now = time.monotonic()
        with self._lock:
            while self._recent and self._recent[0] <= now - self.per:
                self._recent.popleft()
            if len(self._recent) >= self.limit:
                self.throttled += 1
                return 0, max(1, math.ceil(self._recent[0] + self.per - now))
            self._recent.append(now)
            return self.limit - len(self._recent), None

    def _budget(self, remaining: int) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(remaining)}

    def _create(self, request: Request, remaining: int) -> Response:
        body = request.get_json()
        with self._lock:
            note = {"id": 1000 + len(self.notes), **body}
            self.notes.append(note)
        return json_response(note, 201, self._budget(remaining))

    def _list(self, request: Request, remaining: int) -> Response:
        candidate = int(request.args.get("candidate_id", "0"))
        with self._lock:
            found = [n for n in self.notes if n["candidate_id"] == candidate]
        return json_response(found, 200, self._budget(remaining))



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
