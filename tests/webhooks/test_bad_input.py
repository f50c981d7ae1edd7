"""Signed input that is not what the ATS documents: refused with 400 and a reason, or cleaned and
acted on, never a 500 and never a delivery the worker cannot finish."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from adapters.sandbox.adapter import SandboxAdapter
from connector.installations import create_installation
from connector.models import (
    DeliveryStatus,
    Interview,
    WebhookDelivery,
)
from tests.conftest import edit_fixture, fixture_body, row_counts, signed_post


def all_rows(services, model):
    with services.db.session() as session:
        return session.scalars(select(model).order_by(model.id)).all()


def assert_refused(services, before, response, reason: str) -> None:
    """A 400 with this reason, and not one row written."""
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"] == reason
    assert row_counts(services) == before


def nested(depth: int) -> dict:
    """A stage change carrying an extra key nested `depth` arrays deep."""
    data = json.loads(fixture_body("greenhouse", "candidate_stage_change"))
    data["payload"]["application"]["extra"] = json.loads("[" * depth + "]" * depth)
    return data


@pytest.mark.parametrize("depth", [40, 5000, 200_000])
def test_json_nested_too_deep_is_400(client, services, installation, depth):
    before = row_counts(services)
    body = json.dumps(nested(1)).replace("[]", "[" * depth + "]" * depth).encode()
    assert len(body) < 1024 * 1024
    assert_refused(services, before, signed_post(client, installation, body), "too_deep")


def test_the_documented_payloads_nest_well_within_the_bound(client, services, installation,
                                                            greenhouse):
    body = json.dumps(nested(20)).encode()
    assert signed_post(client, installation, body).status_code == 200


def test_nul_in_a_name_is_removed_and_the_candidate_invited(client, services, installation,
                                                            greenhouse):
    def change(data):
        data["payload"]["application"]["candidate"]["first_name"] = "Gius\u0000eppe"
    response = signed_post(client, installation, edit_fixture(
        "greenhouse", "candidate_stage_change", change))
    assert response.status_code == 200
    (delivery,) = all_rows(services, WebhookDelivery)
    assert (delivery.status, delivery.outcome) == (DeliveryStatus.PROCESSED, "invited")
    assert "\\u0000" in delivery.body  # the signed bytes are kept as they came
    (interview,) = all_rows(services, Interview)
    assert interview.candidate_name == "Giuseppe Hurley"


def test_nul_in_the_action_is_removed_and_stored_as_ignored(client, services, installation):
    body = json.dumps({"action": "ping\u0000", "payload": {}}).encode()
    assert signed_post(client, installation, body).status_code == 200
    (delivery,) = all_rows(services, WebhookDelivery)
    assert (delivery.action, delivery.status) == ("ping", DeliveryStatus.IGNORED)


def test_a_lone_surrogate_in_a_name_becomes_a_replacement_character(client, services,
                                                                    installation, greenhouse):
    body = fixture_body("greenhouse", "candidate_stage_change").replace(
        b'"Hurley"', b'"Hurley\\ud800"')
    assert signed_post(client, installation, body).status_code == 200
    (interview,) = all_rows(services, Interview)
    assert interview.candidate_name == "Giuseppe Hurley\ufffd"


def stage_change(change) -> bytes:
    return edit_fixture("greenhouse", "candidate_stage_change",
                        lambda data: change(data["payload"]["application"]))


@pytest.mark.parametrize("change", [
    pytest.param(lambda a: a["current_stage"].update(id="7" * 500), id="500-digit stage id"),
    pytest.param(lambda a: a["current_stage"].update(id="x" * 500), id="500-char stage id"),
    pytest.param(lambda a: a["candidate"].update(id="abc"), id="candidate id abc"),
    pytest.param(lambda a: a["candidate"].update(id=-4), id="negative candidate id"),
    pytest.param(lambda a: a["candidate"].update(id=2 ** 63), id="candidate id past int64"),
    pytest.param(lambda a: a["candidate"].update(id=1.5), id="fractional candidate id"),
    pytest.param(lambda a: a.update(id="265277x"), id="application id with a letter"),
    pytest.param(lambda a: a["jobs"][0].update(id="Designer"), id="job id that is a name"),
    pytest.param(lambda a: a["candidate"].update(first_name="A" * 101), id="101-char name"),
    pytest.param(lambda a: a["jobs"][0].update(name="J" * 201), id="201-char job name"),
    pytest.param(lambda a: a["current_stage"].update(name="S" * 201), id="201-char stage name"),
    pytest.param(lambda a: a.update(url="https://x/" + "u" * 2048), id="2 KiB url"),
    pytest.param(lambda a: a.update(last_activity_at="2" * 65), id="65-char time"),
    pytest.param(lambda a: a["candidate"].update(first_name=7), id="number for a name"),
])
def test_a_greenhouse_value_outside_its_documented_shape_is_400(client, services, installation,
                                                               change):
    before = row_counts(services)
    response = signed_post(client, installation, stage_change(change))
    assert_refused(services, before, response, "malformed_payload")


def test_greenhouse_ids_as_digit_strings_are_read_as_the_same_integers(client, services,
                                                                       installation, greenhouse):
    body = stage_change(lambda a: (a.update(id="265277"), a["candidate"].update(id=" 265772")))
    assert signed_post(client, installation, body).status_code == 200
    (interview,) = all_rows(services, Interview)
    assert (interview.ats_application_id, interview.ats_candidate_id) == ("265277", "265772")


def test_nan_is_not_json(client, services, installation):
    before = row_counts(services)
    body = fixture_body("greenhouse", "candidate_stage_change").replace(
        b'"prospect": false', b'"prospect": NaN')
    assert_refused(services, before, signed_post(client, installation, body), "invalid_json")


def test_an_address_longer_than_an_address_can_be_is_not_used(client, services, installation,
                                                               greenhouse):
    long_address = "a" * 64 + "@" + ".".join(["d" * 63] * 4) + ".com"
    assert len(long_address) > 320
    body = stage_change(lambda a: a["candidate"]["email_addresses"][0].update(
        value=long_address))
    assert signed_post(client, installation, body).status_code == 200
    (delivery,) = all_rows(services, WebhookDelivery)
    assert (delivery.status, delivery.outcome) == (DeliveryStatus.PROCESSED, "no_email")
    assert all_rows(services, Interview) == []


# --- the sandbox, or any ATS that signs with Standard Webhooks -----------------------------

@pytest.fixture
def sandbox(services):
    with services.db.session() as session:
        inst, secret = create_installation(
            session, services.keyring, ats="sandbox", organization="Acme", name="Board",
            trigger_stages=["async_screen"], template_id=None, api_base_url=None,
            credentials={"api_key": "key"}, strict_hosts=False)
        return {"secret": secret, "path": f"/webhooks/sandbox/{inst.public_id}"}


def sandbox_post(client, sandbox, body: bytes, **header_changes):
    headers = SandboxAdapter.sign(body, sandbox["secret"])
    headers.update(header_changes)
    return client.post(sandbox["path"], data=body, headers=headers)


def sandbox_event(change) -> bytes:
    return edit_fixture("sandbox", "application_stage_changed", lambda d: change(d["data"]))


@pytest.mark.parametrize("change", [
    pytest.param(lambda d: d["stage"].update(id="s" * 500), id="500-char stage id"),
    pytest.param(lambda d: d["application"].update(id="a" * 65), id="65-char application id"),
    pytest.param(lambda d: d["candidate"].update(id=["c"]), id="list for an id"),
    pytest.param(lambda d: d["candidate"].update(last_name="L" * 101), id="101-char name"),
    pytest.param(lambda d: d["job"].update(title="T" * 201), id="201-char job title"),
])
def test_a_sandbox_value_outside_the_contract_is_400(client, services, sandbox, change):
    before = row_counts(services)
    response = sandbox_post(client, sandbox, sandbox_event(change))
    assert_refused(services, before, response, "malformed_payload")


def test_a_timestamp_too_long_to_be_a_time_is_401_not_500(client, services, sandbox):
    before = row_counts(services)
    body = fixture_body("sandbox", "application_stage_changed")
    response = sandbox_post(client, sandbox, body, **{"webhook-timestamp": "9" * 5000})
    assert response.status_code == 401
    assert response.get_json()["error"] == "malformed_signature"
    assert row_counts(services) == before
