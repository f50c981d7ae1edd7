"""Erasure paths without recordings: the sandbox's and Greenhouse's application deletions, a
push in flight, and what the admin app, the API and the command line refuse."""

from __future__ import annotations

import json

import pytest
import responses
from click.testing import CliRunner
from sqlalchemy import select

from adapters.sandbox.adapter import SandboxAdapter
from connector.api import tokens
from connector.cli import candidates, main
from connector.installations import create_installation
from connector.models import (
    Actor, Email, ErasureReason, ErasureReceipt, Interview, OutboxStatus, Push,
)
from connector.privacy.erasure import Person, Who, erase
from jobs import emails, pushes
from tests.admin.conftest import admin_client, user_client  # noqa: F401 (fixtures)
from tests.candidate.conftest import invited  # noqa: F401 (fixture)
from tests.conftest import edit_fixture, make_installation, row_counts, signed_post
from tests.privacy.traces import files_holding, rows_holding
from tests.review.conftest import csrf_token_of

GIUSEPPE = ["Giuseppe", "Hurley", "giuseppe.hurley@example.com", "265772", "265277"]
ADA = ["Ada", "Okafor", "ada.okafor@example.com", "cand-2001", "app-1001"]


def nothing_of(services, needles) -> None:
    assert rows_holding(services, needles) == []
    assert files_holding(services.storage, needles) == []


def test_the_sandbox_deleting_the_candidate_erases_them(client, services):
    with services.db.session() as session:
        inst, secret = create_installation(
            session, services.keyring, ats="sandbox", organization="Acme", name="Board",
            trigger_stages=["async_screen"], template_id=None, api_base_url=None,
            credentials={"api_key": "key"}, strict_hosts=False)
        path = f"/webhooks/sandbox/{inst.public_id}"

    def post(name, change=lambda d: None):
        body = edit_fixture("sandbox", name, change)
        return client.post(path, data=body, headers=SandboxAdapter.sign(body, secret))

    with responses.RequestsMock(assert_all_requests_are_fired=False):  # the board is away
        assert post("application_stage_changed").status_code == 200
    assert rows_holding(services, ADA) != []
    assert post("candidate_deleted").status_code == 200
    nothing_of(services, ADA)
    with services.db.session() as session:
        assert session.scalars(select(ErasureReceipt)).one().actor_id == inst.public_id


def test_greenhouse_deleting_the_application_erases_its_interview(client, services,
                                                                  installation, invited):
    body = edit_fixture("greenhouse", "delete_application",
                        lambda d: d["payload"]["application"].update(id=265277))
    assert signed_post(client, installation, body, event_id="evt-del-app").status_code == 200
    nothing_of(services, GIUSEPPE)


def test_a_push_claimed_before_the_erasure_writes_nothing_to_greenhouse(
        services, installation, invited, greenhouse, monkeypatch):
    with services.db.session() as session:
        push = session.scalars(select(Push)).one()  # the invitation's note, delivered
        push.status, push.attempts, push.external_id = OutboxStatus.PENDING, 0, None
        push_id = push.id
    calls = len(greenhouse.mock.calls)
    prepare = pushes._prepare

    def erased_once_prepared(services, push_id):
        claimed = prepare(services, push_id)  # the job holds the note and its adapter
        response = client_erase(services)
        assert response.exit_code == 0, response.output
        return claimed

    def client_erase(services):
        monkeypatch.setattr(candidates, "command_services", lambda **kwargs: services)
        return CliRunner().invoke(main, ["candidates", "erase", "--email", GIUSEPPE[2]])

    monkeypatch.setattr(pushes, "_prepare", erased_once_prepared)
    pushes.deliver_push(push_id)

    assert len(greenhouse.mock.calls) == calls  # not even a token was asked for
    with services.db.session() as session:
        push = session.get(Push, push_id)
        assert (push.status, push.payload) == (OutboxStatus.FAILED, {})
        assert push.last_error == "dropped: the candidate was erased"
    nothing_of(services, GIUSEPPE)


# --- refusals: a clear 4xx, nothing written -------------------------------------------------

@pytest.fixture
def interview_id(services, invited) -> str:
    with services.db.session() as session:
        return session.scalars(select(Interview)).one().public_id


@pytest.mark.parametrize("form", [
    {}, {"email": "not-an-address"}, {"email": "a@example.com", "interview": "ses_x"},
    {"ats_candidate_id": "265772"}, {"email": "giuseppe.hurley@example.com"},  # unconfirmed
], ids=["nothing", "bad-email", "two-ways", "no-installation", "unconfirmed"])
def test_the_admin_page_refuses_bad_input_and_writes_nothing(
        services, admin_client, interview_id, form):
    admin = admin_client("Acme")
    before = row_counts(services)
    response = admin.post("/admin/erasures", data={
        "csrf_token": csrf_token_of(admin, "/account"), **form})
    assert response.status_code == 400
    assert row_counts(services) == before
    if form:
        assert admin.get("/admin/erasures/confirm", query_string={
            k: v for k, v in form.items()}).status_code in (200, 400)
    assert row_counts(services) == before


def test_the_admin_page_needs_its_csrf_token(services, admin_client, interview_id):
    admin = admin_client("Acme")
    before = row_counts(services)
    response = admin.post("/admin/erasures", data={
        "interview": interview_id, "confirm": "yes"})
    assert response.status_code == 400 and row_counts(services) == before


def test_another_organizations_interview_is_404_on_the_admin_page(
        services, admin_client, installation, interview_id):
    globex = admin_client("Globex")
    before = row_counts(services)
    assert globex.get(f"/admin/erasures/confirm?interview={interview_id}").status_code == 404
    response = globex.post("/admin/erasures", data={
        "csrf_token": csrf_token_of(globex, "/account"), "interview": interview_id,
        "confirm": "yes"})
    assert response.status_code == 404
    response = globex.post("/admin/erasures", data={
        "csrf_token": csrf_token_of(globex, "/account"), "ats_candidate_id": "265772",
        "installation": installation["public_id"], "confirm": "yes"})
    assert response.status_code == 404
    assert row_counts(services) == before


def test_the_interviews_page_offers_to_erase_each_interview(admin_client, interview_id):
    page = admin_client("Acme").get("/admin/sessions").get_data(as_text=True)
    assert f"/admin/erasures/confirm?interview={interview_id}" in page


def bearer(services, organization: str) -> dict:
    with services.db.session() as db:
        return {"Authorization": f"Bearer {tokens.create_token(db, organization, 't')[1]}"}


@pytest.mark.parametrize("body", [
    {}, {"email": "not-an-address"}, {"email": "a@example.com", "interview": "ses_x"},
    {"ats_candidate_id": "265772"}, {"email": "a@example.com", "name": "x"},
], ids=["nothing", "bad-email", "two-ways", "no-installation", "unknown-field"])
def test_the_api_refuses_bad_input_with_422_and_writes_nothing(client, services,
                                                               interview_id, body):
    headers = bearer(services, "Acme")
    before = row_counts(services)
    response = client.post("/api/v1/erasures", json=body, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "validation_failed"
    assert row_counts(services) == before


def test_another_organizations_token_cannot_reach_the_person(client, services, installation,
                                                            interview_id):
    make_installation(services, ["Assessment"], organization="Globex", name="Globex GH")
    headers = bearer(services, "Globex")
    before = row_counts(services)
    for body in ({"interview": interview_id},
                 {"ats_candidate_id": "265772", "installation": installation["public_id"]}):
        assert client.post("/api/v1/erasures", json=body, headers=headers).status_code == 404
    assert row_counts(services) == before
    erased = client.post("/api/v1/erasures", json={"email": GIUSEPPE[2]}, headers=headers)
    assert erased.status_code == 201 and erased.get_json()["interviews"] == []
    assert rows_holding(services, GIUSEPPE) != []  # Acme's candidate is untouched
    acme = client.get("/api/v1/erasures", headers=bearer(services, "Acme")).get_json()
    assert acme["data"] == []
    mine = client.get("/api/v1/erasures", headers=headers).get_json()["data"]
    assert [r["id"] for r in mine] == [erased.get_json()["id"]]


@pytest.mark.parametrize("args", [
    [], ["--email", "not-an-address"], ["--ats-candidate-id", "265772"],
    ["--ats-candidate-id", "265772", "--installation", "inst_nothing"],
    ["--email", "a@example.com", "--organization", "org_nothing"],
], ids=["nothing", "bad-email", "no-installation", "unknown-installation",
        "unknown-organization"])
def test_the_command_line_refuses_bad_input_and_writes_nothing(services, interview_id,
                                                               monkeypatch, args):
    monkeypatch.setattr(candidates, "command_services", lambda **kwargs: services)
    before = row_counts(services)
    result = CliRunner().invoke(main, ["candidates", "erase", *args])
    assert result.exit_code in (1, 2) and not result.stdout.strip().startswith("{")
    assert row_counts(services) == before


def test_the_command_line_erases_by_ats_candidate_id(services, installation, interview_id,
                                                     monkeypatch):
    monkeypatch.setattr(candidates, "command_services", lambda **kwargs: services)
    result = CliRunner().invoke(main, ["candidates", "erase", "--ats-candidate-id", "265772",
                                       "--installation", installation["public_id"]])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["erased"]["interviews"] == 1
    nothing_of(services, GIUSEPPE)


def test_an_email_claimed_before_the_erasure_is_not_sent(services, interview_id, monkeypatch):
    with services.db.session() as session:
        email = session.scalars(select(Email)).one()  # the invitation, held (no SMTP_URL)
        email.status, email.attempts = OutboxStatus.PENDING, 0
        email_id = email.id
    claim_now = emails.claim_now

    def erased_once_claimed(*args, **kwargs):
        claimed = claim_now(*args, **kwargs)
        erase(services.db, services.storage, Person(organization_of(services),
              interview_ids={interview_row(services)}), Who(ErasureReason.OPERATOR,
              Actor.OPERATOR, "root"))
        return claimed

    monkeypatch.setattr(emails, "claim_now", erased_once_claimed)
    emails.send_email(email_id)
    with services.db.session() as session:
        email = session.get(Email, email_id)
        assert (email.status, email.last_error) == (OutboxStatus.FAILED,
                                                    "dropped: the candidate was erased")
    nothing_of(services, GIUSEPPE)


def organization_of(services) -> int:
    with services.db.session() as session:
        return session.scalars(select(Interview)).one().installation.organization_id


def interview_row(services) -> int:
    with services.db.session() as session:
        return session.scalars(select(Interview.id)).one()
