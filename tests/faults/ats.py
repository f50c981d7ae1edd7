"""A fake Greenhouse on loopback whose notes endpoints fail on cue, candidate by candidate.

Token: POST /token (tests/fakes/loopback.py). Notes: POST /v3/notes and GET
/v3/notes?candidate_ids=..., bearer token required, as tests/fakes/greenhouse.py documents.
A script per candidate says what each next notes call meets:
  "500"        - refused, nothing written;
  "500-written" - the note is written, then the answer is a 500 (an ambiguous failure);
  "429"        - Too Many Requests with Retry-After: RETRY_AFTER;
  "hold"       - the note is written and the answer held until `release()` (a slow ATS);
then, once the script is used up, every call succeeds.
"""

from __future__ import annotations

import re
import threading
from collections import Counter

from werkzeug.wrappers import Request, Response

from tests.fakes.loopback import LoopbackGreenhouse, json_response

RETRY_AFTER = 2


class ScriptedGreenhouse(LoopbackGreenhouse):
    """Start with `start()`; `notes`, `seen` and `held` say what it met."""

    def __init__(self):
        super().__init__()
        self.notes: list[dict] = []
        self.scripts: dict[int, list[str]] = {}
        self.seen: Counter[str] = Counter()  # each scripted answer given
        self.held = 0
        self._release = threading.Event()

    def script(self, candidate_id: int, *answers: str) -> None:
        with self._lock:
            self.scripts[candidate_id] = list(answers)
            if "hold" in answers:
                self._release.clear()

    def release(self) -> None:
        self._release.set()

    def notes_for(self, candidate_id: int) -> int:
        with self._lock:
            return sum(1 for note in self.notes if note["candidate_id"] == candidate_id)

    def handle(self, request: Request) -> Response:
        if request.path != "/v3/notes" or request.method not in ("GET", "POST"):
            return json_response({"message": "Not found"}, 404)
        if not re.fullmatch(r"Bearer token-\d+", request.headers.get("Authorization", "")):
            return json_response({"message": "Unauthorized"}, 401)
        body = request.get_json() if request.method == "POST" else None
        candidate = int(body["candidate_id"] if body else request.args.get("candidate_ids", 0))
        answer = self._next(candidate)
        if answer in ("500-written", "hold") and body is not None:
            self._write(body)
        if answer == "hold":
            return self._hold()
        if answer in ("500", "500-written"):
            return json_response({"message": "scripted failure"}, 500)
        if answer == "429":
            return json_response({"message": "Too many requests"}, 429,
                                 {"Retry-After": str(RETRY_AFTER)})
        if body is not None:
            return json_response(self._write(body), 201)
        with self._lock:
            found = [n for n in self.notes if n["candidate_id"] == candidate]
        return json_response(found)

    def _next(self, candidate: int) -> str | None:
        with self._lock:
            script = self.scripts.get(candidate)
            if not script:
                return None
            answer = script.pop(0)
            self.seen[answer] += 1
            return answer

    def _write(self, body: dict) -> dict:
        with self._lock:
            note = {"id": 1000 + len(self.notes), **body}
            self.notes.append(note)
            return note

    def _hold(self) -> Response:
        with self._lock:
            self.held += 1
        self._release.wait(120)
        return json_response({"message": "held, then dropped"}, 500)
