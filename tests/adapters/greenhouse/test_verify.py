"""Greenhouse signatures: HMAC-SHA256 of the raw body, hex, after "sha256 "; anything else fails."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from adapters.contract import Connection
from adapters.greenhouse import MANIFEST
from adapters.greenhouse.adapter import GreenhouseAdapter
from tests.conftest import fixture_body
from webhooks.errors import MalformedPayload, SignatureError

SECRET = "whsec-test-secret"
BODY = fixture_body("greenhouse", "candidate_stage_change")


def adapter(secret: str = SECRET) -> GreenhouseAdapter:
    return MANIFEST.build(Connection(webhook_secret=secret, credentials={}))


def test_signature_is_the_hex_hmac_of_the_raw_body():
    digest = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert GreenhouseAdapter.sign(BODY, SECRET)["Signature"] == f"sha256 {digest}"
    adapter().verify(BODY, {"Signature": f"sha256 {digest}"})
    adapter().verify(BODY, {"Signature": f"sha256 {digest.upper()}"})


@pytest.mark.parametrize("headers, reason", [
    ({}, "missing_signature"),
    ({"Signature": ""}, "missing_signature"),
    ({"Signature": "sha256"}, "malformed_signature"),
    ({"Signature": "sha256 not-hex"}, "malformed_signature"),
    ({"Signature": "sha1 " + "0" * 40}, "unsupported_algorithm"),
    ({"Signature": "sha256 " + "0" * 64}, "bad_signature"),
])
def test_bad_signatures_are_refused(headers, reason):
    with pytest.raises(SignatureError) as caught:
        adapter().verify(BODY, headers)
    assert caught.value.reason == reason


def test_one_changed_byte_breaks_the_signature():
    headers = GreenhouseAdapter.sign(BODY, SECRET)
    with pytest.raises(SignatureError, match="does not match"):
        adapter().verify(BODY.replace(b"Hurley", b"Hurlex"), headers)


def test_reserialised_json_does_not_verify():
    # Verification is over the bytes as sent, never over a re-encoding of the parsed JSON.
    import json
    headers = GreenhouseAdapter.sign(BODY, SECRET)
    with pytest.raises(SignatureError):
        adapter().verify(json.dumps(json.loads(BODY)).encode(), headers)


def test_an_installation_without_a_secret_refuses_everything():
    headers = GreenhouseAdapter.sign(BODY, "")
    with pytest.raises(SignatureError) as caught:
        adapter(secret="").verify(BODY, headers)
    assert caught.value.reason == "missing_secret"


@pytest.mark.parametrize("body, reason", [
    (b"not json", "invalid_json"),
    (b"\xff\xfe", "invalid_json"),
    (b"[1, 2]", "malformed_payload"),
    (b'{"payload": {}}', "malformed_payload"),
    (b'{"action": "candidate_stage_change", "payload": {"application": {"id": 1}}}',
     "malformed_payload"),
    (b'{"action": "candidate_stage_change", "payload": {"application": '
     b'{"id": true, "candidate": {"id": 1}}}}', "malformed_payload"),
])
def test_payloads_that_are_not_greenhouse_are_malformed(body, reason):
    with pytest.raises(MalformedPayload) as caught:
        adapter().read(body, {})
    assert caught.value.reason == reason


def test_delivery_id_is_greenhouse_event_id():
    assert adapter().delivery_id(BODY, {"Greenhouse-Event-ID": "abc-123"}) == "greenhouse:abc-123"
    # Without it (or with a malformed one) the body's hash keeps redeliveries apart from new events.
    assert adapter().delivery_id(BODY, {}).startswith("sha256:")
    assert adapter().delivery_id(BODY, {"Greenhouse-Event-ID": "x" * 500}).startswith("sha256:")
