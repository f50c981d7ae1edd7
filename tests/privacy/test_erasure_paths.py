"""Erasure by each path that reaches stored files: the ATS's events, the admin app, the API, the
command line; each leaves nothing of the person in any table or stored file."""

from __future__ import annotations

import json

from sqlalchemy import select

from connector.models import Actor, ErasureReason, ErasureReceipt, WebhookDelivery
from tests.conftest import signed_post
from tests.privacy.conftest import APPLICATION_ID, CANDIDATE_ID, NAME, NEEDLES
from tests.privacy.traces import files_holding, rows_holding


def gone(services, person) -> ErasureReceipt:
    """Nothing of the person remains; the one receipt."""
    assert rows_holding(services, NEEDLES) == []
    assert files_holding(services.storage, NEEDLES) == []
    assert services.storage.keys(person["prefix"]) == []
    with services.db.session() as session:
        receipt = session.scalars(select(ErasureReceipt)).one()
        session.expunge(receipt)
    assert receipt.interview_count == 1
    return receipt


def test_greenhouse_deleting_the_candidate_erases_them(client, services, installation, person):
    # Greenhouse's documented delete_candidate, about this person, naming them.
    first, last = NAME.split()
    body = json.dumps({"action": "delete_candidate", "payload": {"person": {
        "id": int(CANDIDATE_ID), "first_name": first, "last_name": last, "can_email": False,
        "deleted_application_ids": [int(APPLICATION_ID)]}}}).encode()
    assert signed_post(client, installation, body, event_id="evt-delete").status_code == 200

    receipt = gone(services, person)
    assert (receipt.reason, receipt.actor, receipt.actor_id) == (
        ErasureReason.ATS_EVENT, Actor.ATS, installation["public_id"])
    with services.db.session() as session:
        delivery = session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.action == "delete_candidate")).one()
        assert (delivery.body, delivery.outcome) == ("", f"erased: {receipt.public_id}")


def test_greenhouse_anonymising_the_candidate_erases_them(client, services, installation,
                                                          person):
    body = json.dumps({"action": "candidate_anonymized", "payload": {
        "candidate_id": int(CANDIDATE_ID), "anonymized_fields": ["full_name"]}}).encode()
    assert signed_post(client, installation, body, event_id="evt-anon").status_code == 200
    gone(services, person)
