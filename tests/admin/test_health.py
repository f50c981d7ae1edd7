"""The health page counts what is stuck, not only what failed: per installation, in words."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from connector.admin.ops_health import _duration
from connector.models import (
    DeliveryStatus,
    Email,
    Interview,
    OutboxStatus,
    Push,
    WebhookDelivery,
    utcnow,
)
from jobs.claims import LEASE
from tests.admin.ops_rows import add_session, html
from tests.conftest import make_installation
from tests.test_metrics import scrape

MINUTE = timedelta(minutes=1)


def add_push(services, installation, n, status, kind="scores", ago=0, **fields) -> int:
    created = utcnow() - ago * MINUTE
    with services.db.session() as db:
        push = Push(installation_id=installation["id"], kind=kind, dedupe_key=f"{kind}:{n}",
                    payload={}, status=status, created_at=created,
                    **{"next_attempt_at": created, **fields})
        db.add(push)
        db.flush()
        return push.id


def stalled_move(services, installation):
    """A move whose worker claimed it six minutes ago and was never heard from again."""
    return add_push(services, installation, 1, OutboxStatus.SENDING, kind="move", ago=6,
                    attempts=1, lease_until=utcnow() - MINUTE)


def retried_note(services, installation):
    """A note tried twice, the second failure's retry due eight minutes ago and not made."""
    return add_push(services, installation, 2, OutboxStatus.PENDING, ago=10, attempts=2,
                    next_attempt_at=utcnow() - 8 * MINUTE,
                    last_error="POST /v3/notes: HTTP 503 Service Unavailable")


def problems(page: str, installation) -> list[str]:
    """The lines under an installation's 'Stuck in' heading, as text."""
    found = re.search(rf'<section class="panel" id="stuck-{installation["public_id"]}".*?'
                      r"</section>", page, re.S)
    if not found:
        return []
    return [re.sub(r"<[^>]+>", "", item).strip()
            for item in re.findall(r"<li>(.*?)</li>", found[0], re.S)]


def test_a_stalled_move_and_an_overdue_retry_show_on_the_health_page(
        admin_client, services, installation):
    quiet = make_installation(services, ["Assessment"], organization="Acme", name="Acme Quiet")
    globex = make_installation(services, ["Assessment"], organization="Globex", name="Globex GH")
    stalled_move(services, installation)
    retried_note(services, installation)

    page = html(admin_client("Acme").get("/admin/health"))
    assert "Stuck now: 1 note and 1 stage move, in 1 installation." in page
    assert problems(page, installation) == [
        "1 note waiting to reach Greenhouse for more than 10 minutes; tried 2 times; the next "
        "try is more than 1 minute late: check that the worker is running; last error: POST "
        "/v3/notes: HTTP 503 Service Unavailable.",
        "1 stage move waiting to reach Greenhouse for more than 6 minutes; a try started more "
        f"than {_duration(LEASE)} ago and never finished, as if a worker stopped."]
    inst = installation["public_id"]
    assert f'href="/admin/pushes?status=pending&amp;installation={inst}">1 note</a>' in page
    assert f'href="/admin/pushes?status=sending&amp;installation={inst}">1 stage move</a>' \
        in page
    assert f'<a href="#stuck-{inst}">2</a>' in page  # the table's "Stuck" column
    assert problems(page, quiet) == [] and f'id="stuck-{quiet["public_id"]}"' not in page

    other = html(admin_client("Globex").get("/admin/health"))
    assert "Nothing is stuck" in other and "Stuck now" not in other
    assert problems(other, globex) == [] and "503" not in other and inst not in other


def test_a_healthy_installation_shows_nothing_stuck(admin_client, services, installation):
    """Fresh rows, a try within its lease, and delivered or failed ones are not stuck."""
    add_push(services, installation, 1, OutboxStatus.PENDING)  # its job has a minute to start
    add_push(services, installation, 2, OutboxStatus.SENDING, ago=2, attempts=1,
             lease_until=utcnow() + 3 * MINUTE)
    add_push(services, installation, 3, OutboxStatus.PENDING, ago=1, attempts=1,
             next_attempt_at=utcnow() + MINUTE, last_error="timed out")  # a first retry ahead
    add_push(services, installation, 4, OutboxStatus.DELIVERED, ago=60, attempts=3)
    add_push(services, installation, 5, OutboxStatus.FAILED, ago=60, attempts=10)
    page = html(admin_client("Acme").get("/admin/health"))
    assert "Nothing is stuck: every delivery, note, stage move and e-mail is moving on time." \
        in page
    assert problems(page, installation) == [] and 'href="#stuck-' not in page


def test_deliveries_and_e_mails_count_too(admin_client, services, installation):
    with services.db.session() as db:
        db.add(WebhookDelivery(installation_id=installation["id"], delivery_key="e1",
                               action="candidate_stage_change", body="{}",
                               status=DeliveryStatus.RECEIVED,
                               received_at=utcnow() - 3 * MINUTE))
        public_id = add_session(services, installation, "Pat Doe", "pat@example.com")
        session_id = db.scalar(select(Interview.id)
                               .where(Interview.public_id == public_id))
        for n, attempts in ((1, 3), (2, 2)):
            db.add(Email(organization_id=db.get(Interview, session_id).installation
                         .organization_id, session_id=session_id, kind="invitation",
                         dedupe_key=f"e{n}", to_address="pat@example.com", subject="s",
                         text_body="t", html_body="h", status=OutboxStatus.PENDING,
                         attempts=attempts, created_at=utcnow() - 2 * 60 * MINUTE,
                         next_attempt_at=utcnow() + MINUTE,
                         last_error=f"SMTP 451 try {n} later"))
    page = html(admin_client("Acme").get("/admin/health"))
    assert problems(page, installation) == [
        "1 webhook delivery waiting to be processed for more than 3 minutes; the next try is "
        "more than 1 minute late: check that the worker is running.",
        "2 e-mails to candidates waiting to be sent for more than 2 hours; tried up to 3 "
        "times; last error: SMTP 451 try 2 later."]
    inst = installation["public_id"]
    assert f'href="/admin/deliveries?status=received&amp;installation={inst}"' in page


def test_metrics_count_what_the_health_page_counts(client, services, installation):
    globex = make_installation(services, ["Assessment"], organization="Globex", name="Globex GH")
    stalled_move(services, installation)
    retried_note(services, installation)
    retried_note(services, globex)
    samples = scrape(client)
    assert samples["connector_stuck_rows", (("what", "move"), ("why", "stalled"))] == 1
    assert samples["connector_stuck_rows", (("what", "note"), ("why", "overdue"))] == 2


def test_durations_read_as_a_person_says_them():
    assert [_duration(timedelta(seconds=s)) for s in (1, 30, 60, 119, 150, 7199, 7200,
                                                      47 * 3600, 49 * 3600)] == [
        "1 second", "30 seconds", "1 minute", "1 minute", "2 minutes", "119 minutes",
        "2 hours", "47 hours", "2 days"]
