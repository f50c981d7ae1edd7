"""The admin operations pages: deliveries, pushes, health; retry, reactivate (replay: test_replay).

Acme's admin sees Acme's rows; an admin of Globex gets 404 for every Acme id and sees none of
Acme's rows; a reviewer gets 404; a visitor goes to the sign-in page.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, UTC

import pytest
from sqlalchemy import select

from connector.admin.ops import MASK, PAGE_SIZE, mask_personal, masked_json
from connector.models import (
    DeliveryStatus,
    Installation,
    InstallationStatus,
    OutboxStatus,
    Push,
    Role,
    WebhookDelivery,
    utcnow,
)
from tests.admin.conftest import post_form
from tests.admin.ops_rows import (
    STAGE_CHANGE, add_delivery, add_push, add_session, client_for, failed_push, get, html,
    html_of,
)
from tests.conftest import make_installation, row_counts, signed_post

PII = ("Giuseppe", "Hurley", "giuseppe.hurley@example.com", "330-281-8004", "123 Fake St.",
       "alicia.flopple", "Alicia Flopple", "Ada Lacey", "Carl Buddha", "ghurley")


@pytest.fixture
def globex(services):
    return make_installation(services, ["Assessment"], organization="Globex", name="Globex GH")


# --- who gets in -----------------------------------------------------------------------------

PAGES = ["/admin/deliveries", "/admin/pushes", "/admin/sessions", "/admin/health"]


def test_admin_itself_goes_to_health(admin_client):
    client = admin_client("Acme")
    for path in ("/admin", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/admin/health"


def test_signed_out_goes_to_the_sign_in_page(client, installation):
    delivery = add_delivery(client.application.extensions["connector"], installation, "e1")
    for path in [*PAGES, f"/admin/deliveries/{delivery}", "/admin"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")


def test_a_reviewer_gets_404_everywhere(user_client, services, installation):
    reviewer = user_client("Acme", Role.REVIEWER)
    delivery = add_delivery(services, installation, "e1", status=DeliveryStatus.FAILED,
                            event={"kind": "stage_changed"})
    push = add_push(services, installation, 1, OutboxStatus.FAILED)
    for path in [*PAGES, f"/admin/deliveries/{delivery}"]:
        assert reviewer.get(path).status_code == 404, path
    for path in (f"/admin/deliveries/{delivery}/replay", f"/admin/pushes/{push}/retry",
                 f"/admin/health/{installation['public_id']}/reactivate"):
        assert post_form(reviewer, path, token_from="/account").status_code == 404, path
    assert get(services, Push, push).status is OutboxStatus.FAILED
    assert get(services, WebhookDelivery, delivery).status is DeliveryStatus.FAILED


def test_another_organization_gets_404_for_every_id_and_sees_no_rows(
        admin_client, services, installation, globex):
    delivery = add_delivery(services, installation, "acme-1", status=DeliveryStatus.FAILED,
                            event={"kind": "stage_changed"}, outcome="acme-outcome")
    push = add_push(services, installation, 1, OutboxStatus.FAILED, last_error="acme-error")
    add_session(services, installation, "Acme Candidate", "acme.cand@example.com")
    with services.db.session() as db:
        inst = db.get(Installation, installation["id"])
        inst.status, inst.attention_reason = InstallationStatus.NEEDS_ATTENTION, "acme-reason"
    add_delivery(services, globex, "globex-1", outcome="globex-outcome")
    other = admin_client("Globex")
    before = row_counts(services)

    assert other.get(f"/admin/deliveries/{delivery}").status_code == 404
    for path in (f"/admin/deliveries/{delivery}/replay", f"/admin/pushes/{push}/retry",
                 f"/admin/health/{installation['public_id']}/reactivate"):
        assert post_form(other, path, token_from="/admin/health").status_code == 404, path
    for path in (f"/admin/deliveries?installation={installation['public_id']}",
                 f"/admin/pushes?installation={installation['public_id']}"):
        assert other.get(path).status_code == 404, path
    pages = "".join(html(other.get(path)) for path in PAGES)
    for acme in ("acme-outcome", "acme-error", "Acme Candidate", "acme.cand@example.com",
                 "acme-reason", "Acme Greenhouse", installation["public_id"]):
        assert acme not in pages
    assert "globex-outcome" in pages and "Globex GH" in pages
    assert row_counts(services) == before
    assert get(services, Push, push).status is OutboxStatus.FAILED
    assert get(services, WebhookDelivery, delivery).status is DeliveryStatus.FAILED
    assert get(services, Installation, installation["id"]).attention_reason == "acme-reason"


# --- deliveries ------------------------------------------------------------------------------

def test_the_deliveries_log_newest_first_with_filters(admin_client, services, installation):
    second = make_installation(services, ["Assessment"], organization="Acme", name="Acme Two")
    now = utcnow()
    add_delivery(services, installation, "old", outcome="invited", attempts=1,
                 received_at=now - timedelta(hours=2))
    add_delivery(services, installation, "new", status=DeliveryStatus.FAILED, outcome="error",
                 attempts=10, action="reject_candidate", received_at=now - timedelta(hours=1))
    add_delivery(services, second, "two", status=DeliveryStatus.IGNORED,
                 outcome="not_actionable", action="ping", received_at=now)
    client = admin_client("Acme")

    page = html(client.get("/admin/deliveries"))
    assert page.index("not_actionable") < page.index(">error<") < page.index("invited")
    assert "reject_candidate" in page and "Acme Two" in page and ">10<" in page
    failed = html(client.get("/admin/deliveries?status=failed"))
    assert "reject_candidate" in failed and "invited" not in failed and "ping" not in failed
    by_installation = html(client.get(f"/admin/deliveries?installation={second['public_id']}"))
    assert "ping" in by_installation and "reject_candidate" not in by_installation
    assert 'value="failed" selected' in failed


@pytest.mark.parametrize("query", ["status=done", "page=0", "page=x", "page=99999999"])
def test_bad_filters_are_a_400(admin_client, installation, query):
    response = admin_client("Acme").get(f"/admin/deliveries?{query}")
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"


def test_the_log_is_paginated(admin_client, services, installation):
    start = utcnow() - timedelta(days=1)
    for n in range(PAGE_SIZE + 1):
        add_delivery(services, installation, f"e{n}", outcome=f"outcome-{n:03d}",
                     received_at=start + timedelta(minutes=n))
    client = admin_client("Acme")
    first = html(client.get("/admin/deliveries?status=processed"))
    assert "outcome-050" in first and "outcome-001" in first and "outcome-000" not in first
    assert 'href="/admin/deliveries?status=processed&amp;page=2"' in first
    second = html(client.get("/admin/deliveries?status=processed&page=2"))
    assert "outcome-000" in second and "outcome-001" not in second and 'rel="next"' not in second


def test_a_delivery_shows_its_payload_masked(admin_client, services, installation, greenhouse):
    signed_post(client_for(services), installation, STAGE_CHANGE)
    with services.db.session() as db:
        delivery_id = db.scalar(select(WebhookDelivery.id))
    page = html(admin_client("Acme").get(f"/admin/deliveries/{delivery_id}"))
    for secret in PII:
        assert secret not in page, secret
    assert MASK in page
    for kept in ("candidate_stage_change", "265277", "Designer", "Assessment", "invited",
                 "Acme Greenhouse", "evt-1"):
        assert kept in page, kept
    assert 'action="/admin/deliveries/%d/replay"' % delivery_id in page


# --- masking ---------------------------------------------------------------------------------

def test_masking_by_key_name_anywhere():
    data = {"email": "a@b.example", "Phone": "555", "firstName": "Ann", "last-name": "Lee",
            "email_addresses": [{"value": "x@y.example"}], "home_address": {"city": "Oslo"},
            "date_of_birth": "1990-01-01", "job": {"name": "Designer", "id": 7},
            "nothing": None}
    assert mask_personal(data) == {
        "email": MASK, "Phone": MASK, "firstName": MASK, "last-name": MASK,
        "email_addresses": MASK, "home_address": MASK, "date_of_birth": MASK,
        "job": {"name": "Designer", "id": 7}, "nothing": None}


def test_masking_keeps_only_ids_times_and_flags_of_a_person():
    data = {"candidate": {"id": 1, "name": "Ann Lee", "title": "CTO", "company": "X",
                          "created_at": "2024-01-01", "is_private": False, "external_id": "e9",
                          "custom_fields": {"color": "blue"}},
            "interviewers": [{"id": 2, "display_name": "Bo", "status": "ok"}],
            "stage": {"name": "Assessment"}}
    assert mask_personal(data) == {
        "candidate": {"id": 1, "name": MASK, "title": MASK, "company": MASK,
                      "created_at": "2024-01-01", "is_private": False, "external_id": "e9",
                      "custom_fields": MASK},
        "interviewers": [{"id": 2, "display_name": MASK, "status": "ok"}],
        "stage": {"name": "Assessment"}}


def test_masking_e_mail_addresses_in_any_text():
    assert mask_personal({"note": "Write to ann.lee+x@mail.example.co.uk today", "n": 3,
                          "list": ["bo@example.com"]}) == {
        "note": f"Write to {MASK} today", "n": 3, "list": [MASK]}


def test_masked_json_of_text_that_is_not_json_shows_nothing():
    assert masked_json("not json ann@example.com") is None
    assert masked_json(None) is None
    assert json.loads(masked_json('{"email": "a@b.example"}')) == {"email": MASK}


# --- pushes ----------------------------------------------------------------------------------

def test_pushes_that_need_attention_come_first(admin_client, services, installation):
    delivered = add_push(services, installation, 1, OutboxStatus.DELIVERED)
    failed = add_push(services, installation, 2, OutboxStatus.FAILED, attempts=3,
                      last_error="POST /v3/notes: HTTP 404 gone")
    pending = add_push(services, installation, 3, OutboxStatus.PENDING)
    held = add_push(services, installation, 4, OutboxStatus.HELD, last_error="held-why")
    page = html(admin_client("Acme").get("/admin/pushes"))
    order = [int(n) for n in re.findall(r'<tr>\s*<td>(\d+)', page)]
    assert order == [held, failed, pending, delivered]
    assert "POST /v3/notes: HTTP 404 gone" in page and "held-why" in page
    assert page.count(">Retry</button>") == 2  # only the failed and the held one
    only_failed = html(admin_client("Acme").get("/admin/pushes?status=failed"))
    assert re.findall(r'<tr>\s*<td>(\d+)', only_failed) == [str(failed)]


def test_retry_delivers_the_push_and_clears_the_flag(admin_client, services, installation,
                                                     greenhouse):
    push_id = failed_push(services, installation)
    response = post_form(admin_client("Acme"), f"/admin/pushes/{push_id}/retry")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/pushes"
    push = get(services, Push, push_id)
    assert (push.status, push.attempts) == (OutboxStatus.DELIVERED, 4)
    installation_row = get(services, Installation, installation["id"])
    assert installation_row.status is InstallationStatus.ACTIVE
    assert [c["kind"] for c in greenhouse.calls][-1] == "create_note"


def test_retry_of_a_push_that_has_not_stopped_is_refused(admin_client, services, installation):
    push_id = add_push(services, installation, 1, OutboxStatus.PENDING)
    before = get(services, Push, push_id)
    response = post_form(admin_client("Acme"), f"/admin/pushes/{push_id}/retry")
    assert response.status_code == 409
    assert "only a failed or held push can be retried" in html_of(response)
    after = get(services, Push, push_id)
    assert (after.status, after.attempts, after.next_attempt_at) == (
        before.status, before.attempts, before.next_attempt_at)
    assert post_form(admin_client("Acme"), "/admin/pushes/999/retry").status_code == 404


# --- health ----------------------------------------------------------------------------------

def test_health_shows_each_installation_and_what_failed(admin_client, services, installation):
    quiet = make_installation(services, ["Assessment"], organization="Acme", name="Acme Quiet")
    failed_push(services, installation, 1)
    failed_push(services, installation, 2)
    add_push(services, installation, 3, OutboxStatus.DELIVERED,
             delivered_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
    add_delivery(services, installation, "e1", received_at=datetime(2026, 1, 6, 8, 15, tzinfo=UTC))
    add_delivery(services, installation, "e2", status=DeliveryStatus.FAILED,
                 received_at=datetime(2026, 1, 4, tzinfo=UTC))
    page = html(admin_client("Acme").get("/admin/health"))
    acme, rest = page.split("Acme Greenhouse", 1)[1].split("Acme Quiet")
    assert "needs attention" in acme and "NotFound: gone" in acme
    assert "2026-01-06 08:15" in acme and "2026-01-05 09:30" in acme
    assert f'installation={installation["public_id"]}">2</a>' in acme  # failed pushes
    assert f'installation={installation["public_id"]}">1</a>' in acme  # failed deliveries
    assert "Mark active again" in acme
    assert "needs attention" not in rest and "Mark active again" not in rest
    assert quiet["public_id"] not in rest


def test_marking_an_installation_active_again(admin_client, services, installation):
    failed_push(services, installation)
    admin = admin_client("Acme")
    response = post_form(admin, f"/admin/health/{installation['public_id']}/reactivate")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/health"
    row = get(services, Installation, installation["id"])
    assert (row.status, row.attention_reason) == (InstallationStatus.ACTIVE, None)
    assert "Acme Greenhouse is marked active again." in html(admin.get("/admin/health"))
    assert post_form(admin, "/admin/health/inst_nope/reactivate").status_code == 404
