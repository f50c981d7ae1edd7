"""The embedded default under a person's real use of every page at once: `connector serve`
(SQLite, two gunicorn workers, jobs in the web process) while cards move on the sandbox board,
candidates record, a reviewer reads and scores, and the jobs write back, all concurrently.

No request may fail with a 5xx and the log may hold no "database is locked".
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests import serving

APPLIED = ["Ada", "Ben", "Chloé", "Dev"]  # the seeded cards that start in "Applied"
WEBM = b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 64  # EBML magic, then 16 KiB of filler
CHUNKS = 4


class Recorder:
    """requests, with every answer's status kept so the test can look for any 5xx."""

    def __init__(self):
        self.session = requests.Session()
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, method: str, url: str, **kwargs) -> requests.Response:
        response = self.session.request(method, url, timeout=60, **kwargs)
        if response.status_code >= 500:
            with self._lock:
                self.failures.append(f"{response.status_code} {method} {url.split('?')[0]}")
        return response


@pytest.fixture
def served(tmp_path):
    """The service as a newcomer starts it: nothing set but a data directory and a port."""
    with serving.served(tmp_path) as (base, log_path):
        yield base, log_path


def wait_until(check: Callable[[], object], seconds: float, explain=lambda: ""):
    """Poll until `check` gives something true; fail with `explain()` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, explain()
        time.sleep(0.3)
    return result


def csrf(html: str, meta: bool = False) -> str:
    pattern = r'name="csrf-token" content="([^"]+)"' if meta else \
        r'name="csrf_token" value="([^"]+)"'
    return re.search(pattern, html)[1]


def move_card(base: str, first_name: str, column: str) -> None:
    """Move one card as a recruiter does, from a browser of their own."""
    http = Recorder()
    board = http("GET", f"{base}/sandbox").text
    card = re.search(rf'id="card-(\d+)"[^>]*>\s*<a class="name"[^>]*>{first_name} ', board)[1]
    moved = http("POST", f"{base}/sandbox/cards/{card}/move",
                 data={"csrf_token": csrf(board), "column": column})
    assert moved.status_code == 200, moved.text[-500:]
    return http.failures


def interview(base: str, link: str) -> list[str]:
    """A candidate's whole interview through the room's API, as its JavaScript calls it."""
    http, writer = Recorder(), uuid.uuid4().hex
    landing = http("GET", link).text
    assert http("POST", f"{link}/consent", allow_redirects=False,
                data={"agree": "yes", "csrf_token": csrf(landing, meta=True)}).status_code == 303
    headers = {"X-CSRFToken": csrf(http("GET", f"{link}/room").text, meta=True),
               "X-Writer": writer}
    api = f"{link}/api"
    for question in http("GET", f"{api}/state", headers=headers).json()["questions"]:
        position = question["position"]
        assert http("POST", f"{api}/answers/{position}/claim", json={},
                    headers=headers).status_code == 200
        if question["kind"] == "text":
            assert http("POST", f"{api}/answers/{position}/text", headers=headers,
                        json={"text": "Because it is interesting."}).status_code == 200
            continue
        take = http("POST", f"{api}/answers/{position}/takes", headers=headers,
                    json={"mime_type": "video/webm"}).json()["take"]
        for index in range(CHUNKS):
            assert http("PUT", f"{api}/answers/{position}/takes/{take}/chunks/{index}",
                        data=WEBM, headers=headers).status_code == 201
        http("POST", f"{api}/answers/{position}/takes/{take}/stop", json={}, headers=headers)
        whole = WEBM * CHUNKS
        submitted = http("POST", f"{api}/answers/{position}/takes/{take}/submit", headers=headers,
                         json={"chunks": CHUNKS, "size": len(whole), "duration_ms": 4000,
                               "sha256": hashlib.sha256(whole).hexdigest()})
        assert submitted.status_code == 200, submitted.text
    assert http("POST", f"{api}/finish", json={}, headers=headers).status_code == 200
    return http.failures


def signed_in(base: str, password: str) -> Recorder:
    http = Recorder()
    page = http("GET", f"{base}/login").text
    http("POST", f"{base}/login", data={"csrf_token": csrf(page), "password": password,
                                        "email": "sandbox-admin@example.com"})
    return http


def score(http: Recorder, base: str, public_id: str) -> None:
    """The reviewer rates every question and competency 4 and recommends "yes"."""
    page = http("GET", f"{base}/review/sessions/{public_id}").text
    groups = set(re.findall(r'name="((?:competency|question)-\d+)"', page))
    form = {group: "4" for group in groups}
    form.update(csrf_token=csrf(page), recommendation="yes", action="submit", comments="")
    posted = http("POST", f"{base}/review/sessions/{public_id}", data=form,
                  allow_redirects=False)
    assert posted.status_code == 303, posted.text[-800:]


def browse(http: Recorder, base: str, stop: threading.Event) -> None:
    """A reviewer and a recruiter reading pages in a loop until `stop`."""
    while not stop.is_set():
        for path in ("/sandbox", "/sandbox/mailbox", "/admin/health", "/admin/sessions",
                     "/admin/pushes", "/admin/deliveries", "/metrics"):
            http("GET", base + path)


def invitation_links(http: Recorder, base: str) -> list[str]:
    mailbox = http("GET", f"{base}/sandbox/mailbox").text
    links = []
    for message in re.findall(r'href="(/sandbox/mailbox/\d+)"', mailbox):
        text = http("GET", base + message).text
        links += re.findall(rf"{re.escape(base)}/interview/[A-Za-z0-9_-]{{43}}", text)
    return sorted(set(links))


def test_every_page_and_job_at_once_on_sqlite_fails_nothing(served):
    base, log_path = served
    password = re.search(r"sandbox-admin@example\.com / (\S+)", log_path.read_text())[1]
    reader, stop = signed_in(base, password), threading.Event()
    with ThreadPoolExecutor(len(APPLIED) + 1) as pool:
        browsing = pool.submit(browse, reader, base, stop)
        try:
            failures = _whole_flow(pool, base, password, reader)
        finally:
            stop.set()
        browsing.result()
    log = log_path.read_text()
    assert failures + reader.failures == []
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-3000:]


def _whole_flow(pool, base: str, password: str, reader: Recorder) -> list[str]:
    """Move, record, score and see the decision, each step for every candidate at once."""
    failures = []
    for moved in pool.map(lambda name: move_card(base, name, "async_screen"), APPLIED):
        failures += moved
    links = wait_until(lambda: len(found := invitation_links(reader, base)) == 4 and found,
                       60, lambda: "invitations did not all arrive")
    for done in pool.map(lambda link: interview(base, link), links):
        failures += done
    sessions = wait_until(lambda: _completed_sessions(reader, base), 60,
                          lambda: "interviews did not all complete")
    reviewer = signed_in(base, password)
    list(pool.map(lambda public_id: score(reviewer, base, public_id), sessions))
    wait_until(lambda: _all_moved_to_interview(reader, base), 90,
               lambda: "the cards did not all move after the decision")
    return failures + reviewer.failures


def _completed_sessions(http: Recorder, base: str) -> list[str]:
    page = http("GET", f"{base}/admin/sessions?state=completed").text
    found = sorted(set(re.findall(r'href="/review/sessions/(ses_[A-Za-z0-9_-]+)"', page)))
    return found if len(found) == len(APPLIED) else []


def _all_moved_to_interview(http: Recorder, base: str) -> bool:
    board = http("GET", f"{base}/sandbox").text
    column = board.split('data-column="interview"', 1)[-1].split("data-column=", 1)[0]
    return all(re.search(rf">{name} ", column) for name in APPLIED)
