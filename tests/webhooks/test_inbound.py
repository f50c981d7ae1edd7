"""POST /webhooks/<ats>/<installation>: each bad input gets its 4xx, its reason, and writes nothing."""

from __future__ import annotations

import json

import pytest

from connector.models import DeliveryStatus, WebhookDelivery
from tests.conftest import fixture_body, row_counts, signed_post

BODY = fixture_body("greenhouse", "candidate_stage_change")


def assert_refused(response, status: int, reason: str) -> None:
    assert response.status_code == status
    assert response.get_json()["error"] == reason


def test_missing_signature_is_401_and_writes_nothing(client, services, installation):
    before = row_counts(services)
    response = client.post(installation["path"], data=BODY,
                           headers={"Content-Type": "application/json"})
    assert_refused(response, 401, "missing_signature")
    assert row_counts(services) == before


def test_wrong_signature_is_401_and_writes_nothing(client, services, installation):
    before = row_counts(services)
    other = dict(installation, secret="not-the-secret")
    assert_refused(signed_post(client, other, BODY), 401, "bad_signature")
    assert row_counts(services) == before


def test_malformed_json_is_400_and_writes_nothing(client, services, installation):
    before = row_counts(services)
    assert_refused(signed_post(client, installation, b'{"action": "candidate_stage_'), 400,
                   "invalid_json")
    assert row_counts(services) == before


def test_json_that_is_not_greenhouse_is_400_and_writes_nothing(client, services, installation):
    before = row_counts(services)
    body = json.dumps({"event": "candidate.moved", "data": {"id": 1}}).encode()
    assert_refused(signed_post(client, installation, body), 400, "malformed_payload")
    assert row_counts(services) == before


def test_stage_change_without_a_candidate_is_400(client, services, installation):
    before = row_counts(services)
    data = json.loads(BODY)
    del data["payload"]["application"]["candidate"]
    response = signed_post(client, installation, json.dumps(data).encode())
    assert_refused(response, 400, "malformed_payload")
    assert row_counts(services) == before


def test_body_over_one_mebibyte_is_413_and_writes_nothing(client, services, installation):
    before = row_counts(services)
    data = json.loads(BODY)
    data["payload"]["application"]["padding"] = "x" * (1024 * 1024)
    response = signed_post(client, installation, json.dumps(data).encode())
    assert_refused(response, 413, "payload_too_large")
    assert row_counts(services) == before


def test_unknown_installation_is_404_and_writes_nothing(client, services, installation):
    before = row_counts(services)
    stranger = dict(installation, path="/webhooks/greenhouse/inst_doesnotexist")
    assert_refused(signed_post(client, stranger, BODY), 404, "unknown_installation")
    assert row_counts(services) == before


def test_installation_under_another_ats_is_404(client, services, installation):
    before = row_counts(services)
    moved = dict(installation, path=f"/webhooks/lever/{installation['public_id']}")
    assert_refused(signed_post(client, moved, BODY), 404, "unknown_installation")
    assert row_counts(services) == before


def test_ping_is_answered_200_and_stored_as_ignored(client, services, installation):
    response = signed_post(client, installation, fixture_body("greenhouse", "ping"))
    assert response.status_code == 200
    with services.db.session() as session:
        (delivery,) = session.query(WebhookDelivery).all()
        assert (delivery.action, delivery.status, delivery.event) == (
            "ping", DeliveryStatus.IGNORED, None)


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_only_post_is_accepted(client, installation, method):
    response = client.open(installation["path"], method=method)
    assert_refused(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize("tail", ["", "/", "/extra"])
def test_an_address_missing_or_adding_a_segment_is_404_and_writes_nothing(
        client, services, installation, tail):
    before = row_counts(services)
    path = (installation["path"].rsplit("/", 1)[0] + "/" if tail == ""
            else installation["path"] + tail)
    assert_refused(signed_post(client, dict(installation, path=path), BODY), 404, "not_found")
    assert row_counts(services) == before


def test_an_unexpected_failure_is_a_json_500_that_logs_no_payload(
        client, services, installation, monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("a bug")
    monkeypatch.setattr("adapters.greenhouse.adapter.GreenhouseAdapter.read", broken)
    before = row_counts(services)
    response = signed_post(client, installation, BODY)
    assert_refused(response, 500, "internal_server_error")
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the fixed headers still
    assert row_counts(services) == before
    (line,) = [r for r in caplog.records if r.getMessage().startswith("greenhouse.webhook.failed")]
    candidate = json.loads(BODY)["payload"]["application"]["candidate"]
    assert candidate["first_name"] not in caplog.text and line.exc_info is not None
