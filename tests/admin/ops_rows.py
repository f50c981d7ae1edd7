"""Rows the admin operations tests start from: deliveries, pushes, sessions."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from sqlalchemy import func, select

from adapters.events import Outcome
from connector import crypto
from connector.models import (
    DeliveryStatus,
    Installation,
    InstallationStatus,
    Interview,
    InterviewState,
    InterviewTemplate,
    OutboxStatus,
    Push,
    WebhookDelivery,
    utcnow,
)
from tests.conftest import fixture_body

STAGE_CHANGE = fixture_body("greenhouse", "candidate_stage_change")


def add_delivery(services, installation, key, status=DeliveryStatus.PROCESSED, body=None,
                 event=None, action="candidate_stage_change", received_at=None, **fields):
    with services.db.session() as db:
        row = WebhookDelivery(installation_id=installation["id"], delivery_key=key,
                              action=action, event=event, body=body or "{}", status=status,
                              received_at=received_at or utcnow(), **fields)
        db.add(row)
        db.flush()
        return row.id


def add_push(services, installation, n, status=OutboxStatus.PENDING, **fields) -> int:
    outcome = Outcome("invited", "69306314", "265772", f"Invited. [test {n}]", f"[test {n}]")
    with services.db.session() as db:
        push = Push(installation_id=installation["id"], kind="invited", dedupe_key=f"test:{n}",
                    payload=asdict(outcome), status=status, **fields)
        db.add(push)
        db.flush()
        return push.id


def add_session(services, installation, name, email, title="Engineer",
                state=InterviewState.INVITED, created_at=None) -> str:
    with services.db.session() as db:
        template = db.scalar(select(InterviewTemplate).where(InterviewTemplate.is_builtin))
        interview = Interview(
            public_id=crypto.new_public_id("ses"), installation_id=installation["id"],
            template_id=template.id, ats_application_id=crypto.new_token()[:12],
            ats_candidate_id="c1", stage_entry="Assessment:1", candidate_name=name,
            candidate_email=email, job_title=title, state=state,
            token_hash=crypto.hash_token(crypto.new_token()), token_encrypted="x",
            deadline_at=utcnow() + timedelta(days=3), created_at=created_at or utcnow())
        db.add(interview)
        db.flush()
        return interview.public_id


def get(services, model, row_id):
    with services.db.session() as db:
        return db.get(model, row_id)


def html(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def html_of(response) -> str:
    """The page's text, whatever its status."""
    return response.get_data(as_text=True)


def count(services, model) -> int:
    with services.db.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def failed_push(services, installation, n=1) -> int:
    push_id = add_push(services, installation, n, OutboxStatus.FAILED, attempts=3,
                       last_error="POST /v3/notes: HTTP 404 gone")
    with services.db.session() as db:
        inst = db.get(Installation, installation["id"])
        inst.status, inst.attention_reason = InstallationStatus.NEEDS_ATTENTION, "NotFound: gone"
    return push_id


def client_for(services):
    """A client of a new app on these services, signed in as no one (an ATS, say)."""
    from connector.app import create_app

    return create_app(services=services).test_client()
