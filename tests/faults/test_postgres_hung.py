"""PostgreSQL hangs (the proxy between it and every process stops forwarding), then recovers.

The web answers 503 with Retry-After well inside gunicorn's 30 s; jobs caught in the hang
fail or are stopped before their leases run out, and are done again once it is over.
Measured before: gunicorn WORKER TIMEOUTs and no answer for 30 s.
"""

from __future__ import annotations

from tests.faults import scenarios


def test_a_hung_database_answers_503_and_loses_nothing(stack):
    web, work = scenarios.postgres_hung(stack)
    print(f"\n{web.fault}: {web.details} within {web.seconds:.1f} s (bound {web.bound} s); "
          f"{work.fault}: all done {work.seconds:.1f} s after (bound {work.bound:.0f} s)")
    webhook, page = web.details["webhook"], web.details["page"]
    assert webhook[0] == 503 and webhook[1] and webhook[2] == "application/json"
    assert page[0] == 503 and page[1] and page[2].startswith("text/html")
    assert web.seconds <= web.bound
    assert work.seconds <= work.bound
    stack.assert_once(work.events)
