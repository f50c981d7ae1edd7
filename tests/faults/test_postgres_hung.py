"""PostgreSQL hangs (the proxy between it and every process stops forwarding), then recovers.

The web answers 503 with Retry-After well inside gunicorn's 30 s; jobs caught in the hang
fail or are stopped before their leases run out, and are done again once it is over.
Measured before: gunicorn WORKER TIMEOUTs and no answer for 30 s.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from connector.db import PG_CONNECT_TIMEOUT_SECONDS, PG_WAIT_SECONDS
from jobs.sweeper import DEAD_WORKER_BOUND
from tests.faults.processes import wait_for
from tests.faults.stack import CANDIDATE

WEB_BOUND = PG_WAIT_SECONDS + PG_CONNECT_TIMEOUT_SECONDS  # connector.db: a silent server
RUN_SLACK = 5


def timed(call):
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def test_a_hung_database_answers_503_and_loses_nothing(stack):
    events = stack.new_events(4)
    in_flight, refused, later = events[:2], events[2], events[3:]
    held = stack.ats.held
    for n in in_flight:  # inside their pushes when the database stops answering
        stack.ats.script(CANDIDATE + n, "hold")
    assert stack.post_all(in_flight) == [200, 200]
    wait_for(lambda: stack.ats.held == held + 2, 60, "two workers inside a push")

    stack.proxy.pause()
    stack.ats.release()  # their pushes now need the database to record what they did
    page = stack.web_url + "/interview/" + "x" * 43
    with ThreadPoolExecutor(2) as pool:
        webhook = pool.submit(timed, lambda: stack.post(refused))
        html = pool.submit(timed, lambda: requests.get(page, headers={"Accept": "text/html"},
                                                       timeout=60))
        (webhook, webhook_seconds), (html, html_seconds) = webhook.result(), html.result()
    stack.proxy.resume()
    resumed = time.monotonic()

    print(f"\nhung database: webhook answered {webhook.status_code} in {webhook_seconds:.1f} s, "
          f"page {html.status_code} in {html_seconds:.1f} s (bound {WEB_BOUND} s)")
    assert webhook.status_code == 503 and webhook.headers["Retry-After"]
    assert webhook.json()["error"] == "service_unavailable"
    assert html.status_code == 503 and html.headers["Content-Type"].startswith("text/html")
    assert max(webhook_seconds, html_seconds) <= WEB_BOUND + 1

    # The ATS delivers again what was refused; the rest arrives as usual.
    assert stack.post_all([refused, *later]) == [200] * (1 + len(later))
    bound = DEAD_WORKER_BOUND.total_seconds() + RUN_SLACK
    wait_for(lambda: stack.done(events), bound, "every event once the database is back", 0.5)
    print(f"all done {time.monotonic() - resumed:.1f} s after it came back (bound {bound:.0f} s)")
    stack.assert_once(events)
