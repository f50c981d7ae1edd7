"""Erasure by each path that reaches stored files: the ATS's events, the admin app, the API, the
command line; each leaves nothing of the person in any table or stored file."""

from __future__ import annotations

import json
import threading
import time

from click.testing import CliRunner
from sqlalchemy import select

from connector.api import tokens
from connector.cli import candidates, main
from connector.models import (
    Actor, Answer, AnswerChunk, ErasureReason, ErasureReceipt, Interview, WebhookDelivery,
)
from connector.privacy.erasure import Person, Who, erase, storage_prefix
from tests.candidate.conftest import WEBM
from tests.conftest import signed_post
from tests.privacy.conftest import APPLICATION_ID, CANDIDATE_ID, EMAIL, NAME, NEEDLES
from tests.review.conftest import csrf_token_of
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


def test_an_admin_erases_the_candidate_after_confirming(client, services, person):
    page = client.get(f"/admin/erasures/confirm?email={EMAIL}")
    assert page.status_code == 200 and NAME in page.get_data(as_text=True)
    assert rows_holding(services, [person["public_id"]]) != []  # checking changed nothing
    response = client.post("/admin/erasures", data={
        "csrf_token": csrf_token_of(client, "/admin/erasures"), "email": EMAIL,
        "confirm": "yes"})
    assert response.status_code == 303

    receipt = gone(services, person)
    assert (receipt.reason, receipt.actor) == (ErasureReason.ADMIN, Actor.USER)
    listed = client.get("/admin/erasures").get_data(as_text=True)
    assert receipt.public_id in listed


def test_the_api_erases_the_candidate_by_interview(client, services, person):
    with services.db.session() as db:
        row, token = tokens.create_token(db, "Acme", "hr-system")
        prefix = row.prefix
    response = client.post("/api/v1/erasures", json={"interview": person["public_id"]},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["reason"], body["actor"], body["actor_id"]) == ("api", "api_token", prefix)

    receipt = gone(services, person)
    assert body["id"] == receipt.public_id and body["interviews"] == receipt.interviews


def test_the_command_line_erases_the_candidate_by_email(services, person, monkeypatch):
    monkeypatch.setattr(candidates, "command_services", lambda **kwargs: services)
    result = CliRunner().invoke(main, ["candidates", "erase", "--email", EMAIL])
    assert result.exit_code == 0, result.output

    receipt = gone(services, person)
    printed = json.loads(result.stdout)
    assert (printed["id"], printed["reason"], printed["actor"]) == (
        receipt.public_id, "operator", "operator")


def test_a_chunk_uploaded_while_the_candidate_is_erased_leaves_nothing(
        client, services, candidate, monkeypatch):
    """The erasure starts while the chunk's request is on its way to storage."""
    take = candidate.start(1).get_json()["take"]
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        org, prefix = interview.installation.organization_id, storage_prefix(interview)
    write, erasing = services.storage.write, []

    def write_during_erasure(key, data, max_bytes):
        erasing.append(threading.Thread(target=erase, args=(
            services.db, services.storage, Person(org, emails={EMAIL}),
            Who(ErasureReason.OPERATOR, Actor.OPERATOR, "root"))))
        erasing[0].start()
        time.sleep(0.5)  # the erasure's first sweep of storage passes before this write
        return write(key, data, max_bytes)

    monkeypatch.setattr(services.storage, "write", write_during_erasure)
    response = candidate.chunk(1, take, 0, WEBM)
    erasing[0].join(30)
    assert not erasing[0].is_alive()

    assert response.status_code in (201, 404, 410)
    assert services.storage.keys(prefix) == []
    with services.db.session() as session:
        assert session.scalars(select(AnswerChunk)).all() == []
        assert session.scalars(select(Answer)).all() == []
    assert rows_holding(services, NEEDLES) == []
    assert files_holding(services.storage, NEEDLES) == []
