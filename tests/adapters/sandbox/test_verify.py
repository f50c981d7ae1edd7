"""Standard Webhooks signatures: the spec's published vector, and everything that must fail."""

from __future__ import annotations

import base64
import re

import pytest

from adapters.contract import Connection, Tools
from adapters.sandbox import MANIFEST
from adapters.sandbox.adapter import SandboxAdapter, signature
from tests.conftest import fixture_body
from webhooks.errors import SignatureError

# The test vector published with the spec (standard-webhooks.md, and every reference library's
# tests): this secret, id, timestamp and payload give exactly this signature.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_PAYLOAD = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

BODY = fixture_body("sandbox", "application_stage_changed")


def adapter(secret=VECTOR_SECRET, now=VECTOR_TIMESTAMP) -> SandboxAdapter:
    return MANIFEST.build(Connection(webhook_secret=secret, credentials={}),
                          Tools(clock=lambda: now))


def vector_headers(**changes) -> dict[str, str]:
    headers = {"webhook-id": VECTOR_ID, "webhook-timestamp": str(VECTOR_TIMESTAMP),
               "webhook-signature": VECTOR_SIGNATURE}
    headers.update(changes)
    return {k: v for k, v in headers.items() if v is not None}


def reason(body: bytes, headers, verifier=None) -> str:
    with pytest.raises(SignatureError) as caught:
        (verifier or adapter()).verify(body, headers)
    return caught.value.reason


def test_the_published_vector_verifies():
    assert "v1," + signature(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_PAYLOAD) \
        == VECTOR_SIGNATURE
    adapter().verify(VECTOR_PAYLOAD, vector_headers())


def test_sign_produces_the_published_vector():
    headers = SandboxAdapter.sign(VECTOR_PAYLOAD, VECTOR_SECRET, message_id=VECTOR_ID,
                                  timestamp=VECTOR_TIMESTAMP)
    assert headers["webhook-signature"] == VECTOR_SIGNATURE
    assert headers["webhook-id"] == VECTOR_ID
    assert headers["webhook-timestamp"] == str(VECTOR_TIMESTAMP)


def test_a_tampered_body_is_refused():
    assert reason(b'{"test": 2432232315}', vector_headers()) == "bad_signature"


def test_a_changed_id_or_timestamp_is_refused():
    assert reason(VECTOR_PAYLOAD, vector_headers(**{"webhook-id": "msg_other"})) \
        == "bad_signature"
    later = str(VECTOR_TIMESTAMP + 1)
    assert reason(VECTOR_PAYLOAD, vector_headers(**{"webhook-timestamp": later})) \
        == "bad_signature"


def test_the_wrong_secret_is_refused():
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    assert reason(VECTOR_PAYLOAD, vector_headers(), adapter(secret=other)) == "bad_signature"


def test_the_secret_is_used_without_its_prefix_or_not_at_all():
    # The spec strips "whsec_" before decoding: the bare base64 is the same key.
    adapter(secret=VECTOR_SECRET.removeprefix("whsec_")).verify(VECTOR_PAYLOAD, vector_headers())
    assert reason(VECTOR_PAYLOAD, vector_headers(), adapter(secret="")) == "missing_secret"
    assert reason(VECTOR_PAYLOAD, vector_headers(), adapter(secret="whsec_not base64!")) \
        == "missing_secret"


@pytest.mark.parametrize("offset, accepted", [
    (-300, True), (300, True), (-301, False), (301, False), (-86400, False), (86400, False),
])
def test_timestamps_more_than_five_minutes_away_are_refused(offset, accepted):
    # The clock is "now"; the delivery was signed `offset` seconds from it.
    verifier = adapter(now=VECTOR_TIMESTAMP - offset)
    if accepted:
        verifier.verify(VECTOR_PAYLOAD, vector_headers())
    else:
        assert reason(VECTOR_PAYLOAD, vector_headers(), verifier) == "stale_timestamp"


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(missing):
    assert reason(VECTOR_PAYLOAD, vector_headers(**{missing: None})) == "missing_signature"
    assert reason(VECTOR_PAYLOAD, vector_headers(**{missing: ""})) == "missing_signature"


@pytest.mark.parametrize("stamp", ["1614265330.5", "-1614265330", "soon", "１６１４"])
def test_a_malformed_timestamp_is_refused(stamp):
    assert reason(VECTOR_PAYLOAD, vector_headers(**{"webhook-timestamp": stamp})) \
        == "malformed_signature"


def test_any_of_several_signatures_may_match():
    wrong = "v1," + base64.b64encode(b"\0" * 32).decode()
    both = f"{wrong} {VECTOR_SIGNATURE}"  # e.g. during a secret rotation
    adapter().verify(VECTOR_PAYLOAD, vector_headers(**{"webhook-signature": both}))
    also_asymmetric = f"v1a,{VECTOR_SIGNATURE[3:]} {VECTOR_SIGNATURE}"
    adapter().verify(VECTOR_PAYLOAD, vector_headers(**{"webhook-signature": also_asymmetric}))


@pytest.mark.parametrize("header", [
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",  # one character off
    "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",  # a version we do not know
    "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",  # no version at all
    "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",  # the asymmetric scheme's prefix
    "v1,",
])
def test_signatures_that_are_not_a_matching_v1_are_refused(header):
    assert reason(VECTOR_PAYLOAD, vector_headers(**{"webhook-signature": header})) \
        == "bad_signature"


def test_the_delivery_id_is_the_webhook_id():
    assert adapter().delivery_id(VECTOR_PAYLOAD, vector_headers()) == VECTOR_ID


def test_a_signed_fixture_verifies_at_the_time_it_was_signed():
    secret = SandboxAdapter.new_webhook_secret()
    headers = SandboxAdapter.sign(BODY, secret, timestamp=1_800_000_000)
    adapter(secret=secret, now=1_800_000_000).verify(BODY, headers)
    assert re.fullmatch(r"msg_[A-Za-z0-9_-]{24}", headers["webhook-id"])


def test_new_secrets_are_whsec_and_32_random_bytes():
    made = {SandboxAdapter.new_webhook_secret() for _ in range(3)}
    assert len(made) == 3
    for secret in made:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
