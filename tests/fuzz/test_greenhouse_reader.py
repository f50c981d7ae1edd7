"""Greenhouse's direct readers agree with EnvelopeSchema and ApplicationPayloadSchema on every
envelope and payload they accept: documented events, with what they read changed as a broken
sender might send it."""

from __future__ import annotations

import copy

from hypothesis import given, settings, strategies as st
from marshmallow import ValidationError

from adapters.events import MAX_NAME, MAX_TIME, MAX_TITLE, MAX_URL
from adapters.greenhouse.schemas import (
    ApplicationPayloadSchema, EnvelopeSchema, read_application, read_envelope,
)
from tests.fuzz.mutations import TEXT, VALUES, apply, mutated
from tests.fuzz.test_signed_webhooks import documents

SCHEMA, ENVELOPE = ApplicationPayloadSchema(), EnvelopeSchema()
DOCUMENTS = documents("greenhouse")
PAYLOADS = [data["payload"] for data in DOCUMENTS
            if isinstance(data.get("payload", {}).get("application"), dict)
            and "candidate" in data["payload"]["application"]]
APP, CANDIDATE = ("application",), ("application", "candidate")
# Every place the reader reads, and what the schema bounds there.
READ = [(*APP, "id"), (*APP, "url"), (*APP, "last_activity_at"), (*APP, "current_stage"),
        (*APP, "current_stage", "id"), (*APP, "current_stage", "name"), (*APP, "jobs"),
        (*APP, "jobs", 0), (*APP, "jobs", 0, "id"), (*APP, "jobs", 0, "name"), CANDIDATE,
        (*CANDIDATE, "id"), (*CANDIDATE, "first_name"), (*CANDIDATE, "last_name"),
        (*CANDIDATE, "url"), (*CANDIDATE, "can_email"), (*CANDIDATE, "email_addresses"),
        (*CANDIDATE, "email_addresses", 0), (*CANDIDATE, "email_addresses", 0, "value"),
        (*CANDIDATE, "email_addresses", 0, "type")]
EDGES = st.one_of(VALUES, st.sampled_from([
    True, 0, -1, 2**63 - 1, 2**63, "265772", " 42 ", "true", 1.0, [], {}, None,
    *("x" * limit for limit in (MAX_NAME, MAX_TIME, MAX_TITLE, MAX_URL)),
    *("x" * (limit + 1) for limit in (MAX_NAME, MAX_TIME, MAX_TITLE, MAX_URL))]))


def agree(payload: dict) -> None:
    """Whatever the reader accepts, the schema loads to the same dict."""
    direct = read_application(payload)
    if direct is None:
        return  # the schema decides, as it did before the reader
    try:
        assert SCHEMA.load(payload) == direct
    except ValidationError as refused:
        raise AssertionError(f"read directly, refused by the schema: {refused.messages}")


def test_every_documented_application_event_is_read_directly():
    assert len(PAYLOADS) >= 4
    for payload in PAYLOADS:
        assert read_application(payload) == SCHEMA.load(payload)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(PAYLOADS), st.lists(st.tuples(
    st.sampled_from(["set", "set", "delete", "add"]), st.sampled_from(READ), TEXT, EDGES),
    min_size=1, max_size=3))
def test_a_changed_field_is_read_as_the_schema_reads_it_or_left_to_it(payload, changes):
    payload = copy.deepcopy(payload)
    for change in changes:
        try:
            payload = apply(payload, change)
        except (KeyError, IndexError, TypeError):
            continue  # that place is gone after an earlier change
    agree(payload)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_mutated_document_is_read_as_the_schemas_read_it_or_left_to_them(data):
    document = data.draw(mutated(DOCUMENTS))
    envelope = read_envelope(document)
    if envelope is not None:
        assert ENVELOPE.load(document) == envelope
    if isinstance(document, dict) and isinstance(document.get("payload"), dict):
        agree(document["payload"])
