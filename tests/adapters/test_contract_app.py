"""The webhook view, the delivery job and the push job, run for every registered ATS: a signed
fixture invites its candidate and the note reaches the ATS's fake; an unsigned one writes
nothing; a replay reads the stored raw body again."""

from __future__ import annotations

import json

import pytest
import responses
from sqlalchemy import select

from adapters import ADAPTERS
from connector.installations import create_installation
from connector.models import DeliveryStatus, Installation, Interview, WebhookDelivery
from jobs.deliveries import process_delivery
from tests.adapters import contract
from tests.adapters.kit import kit_for
from tests.conftest import row_counts

KEYS = [m.key for m in ADAPTERS]


def invitation(key: str):
    """The ATS, its kit, and its first fixture that invites someone: name, body, event."""
    manifest = next(m for m in ADAPTERS if m.key == key)
    kit = kit_for(manifest)
    for name in contract.fixtures(kit):
        event = json.loads((kit.fixtures / f"{name}.event.json").read_text())["event"]
        if event and event["kind"] == "stage_changed" and (event["candidate"] or {}).get("email"):
            return manifest, kit, (kit.fixtures / f"{name}.json").read_bytes(), event
    pytest.fail(f"{key} has no fixture that invites a candidate")


def install(services, manifest, kit, stage: str) -> dict:
    with services.db.session() as db:
        row, secret = create_installation(
            db, services.keyring, ats=manifest.key, organization="Acme", name=manifest.name,
            trigger_stages=[stage], template_id=None, api_base_url=kit.api_base_url,
            credentials=dict(kit.credentials), strict_hosts=False)
        return {"id": row.id, "path": f"/webhooks/{manifest.key}/{row.public_id}",
                "secret": secret}


@pytest.mark.parametrize("key", KEYS)
def test_a_signed_stage_change_invites_and_its_note_reaches_the_ats(key, client, services):
    manifest, kit, body, event = invitation(key)
    installation = install(services, manifest, kit, event["stage_id"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = kit.fake(mock)
        candidate = event["candidate"]["ats_id"]
        fake.add_application(event["application_id"], candidate, event["stage_id"])
        answer = client.post(installation["path"], data=body,
                             headers=manifest.adapter.sign(body, installation["secret"]))
        assert answer.status_code == manifest.adapter.ack_status, answer.get_json()
        notes = fake.notes_on(event["application_id"], candidate)
    with services.db.session() as db:
        delivery = db.scalars(select(WebhookDelivery)).one()
        assert (delivery.status, delivery.outcome) == (DeliveryStatus.PROCESSED, "invited")
        interview = db.scalars(select(Interview)).one()
        assert interview.candidate_email == event["candidate"]["email"]
    assert len([n for n in notes if "Ref:" in n]) == 1


@pytest.mark.parametrize("key", KEYS)
def test_an_unsigned_delivery_is_refused_and_writes_nothing(key, client, services):
    manifest, kit, body, event = invitation(key)
    installation = install(services, manifest, kit, event["stage_id"])
    before = row_counts(services)
    answer = client.post(installation["path"], data=body,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 401 and answer.get_json()["error"] == "missing_signature"
    assert row_counts(services) == before


@pytest.mark.parametrize("key", KEYS)
def test_a_replay_reads_the_stored_raw_body_again(key, client, services):
    manifest, kit, body, event = invitation(key)
    installation = install(services, manifest, kit, "a stage no event names")
    answer = client.post(installation["path"], data=body,
                         headers=manifest.adapter.sign(body, installation["secret"]))
    assert answer.status_code == manifest.adapter.ack_status
    with services.db.session() as db:
        delivery = db.scalars(select(WebhookDelivery)).one()
        assert delivery.outcome == "stage_not_mapped"
        # What was parsed at the door is kept for display only: spoil it, and make the stage
        # a trigger stage, as an admin fixing the rules before a replay would.
        delivery.event = {"kind": "stage_changed", "stale": True}
        delivery.status = DeliveryStatus.RECEIVED
        db.get(Installation, installation["id"]).stage_rules[0].stage = event["stage_id"]
        delivery_id = delivery.id
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        kit.fake(mock).add_application(event["application_id"], event["candidate"]["ats_id"],
                                       event["stage_id"])
        process_delivery(delivery_id)
    with services.db.session() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        assert delivery.outcome == "invited"
        assert delivery.event["application_id"] == event["application_id"]
