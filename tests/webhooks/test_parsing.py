"""The shared decoding of a webhook body: JSON, cleaned text, bounded depth."""

from __future__ import annotations

import json

import pytest

from webhooks.errors import MalformedPayload
from adapters.parsing import MAX_DEPTH, clean_text, decode


def nested(depth: int) -> bytes:
    return ("[" * (depth - 1) + "{}" + "]" * (depth - 1)).encode()


def test_nesting_up_to_the_bound_is_read_and_one_more_is_refused():
    assert decode(nested(MAX_DEPTH)) is not None
    with pytest.raises(MalformedPayload) as refused:
        decode(nested(MAX_DEPTH + 1))
    assert refused.value.reason == "too_deep"


def test_nul_goes_and_a_lone_surrogate_becomes_a_replacement_character_in_keys_and_values():
    body = json.dumps({"na\u0000me": ["Ad\u0000a", {"x": "\ud83d!"}], "ok": "Zoë 🎥"}).encode()
    assert decode(body) == {"name": ["Ada", {"x": "\ufffd!"}], "ok": "Zoë 🎥"}


def test_a_surrogate_pair_is_one_character_and_kept():
    assert decode(b'"\\ud83c\\udfa5"') == "🎥"
    assert clean_text("plain") == "plain"


@pytest.mark.parametrize("body", [b"NaN", b'{"a": Infinity}', b'{"a": -Infinity}', b"\xff",
                                  b'{"a": ' + b"1" * 5000 + b"}"])
def test_what_is_not_json_is_refused(body):
    with pytest.raises(MalformedPayload) as refused:
        decode(body)
    assert refused.value.reason == "invalid_json"


def test_nesting_past_the_bound_is_refused_with_escaped_text_too():
    escaped = nested(MAX_DEPTH + 1).replace(b"{}", b'{"a": "\\u00e9"}')
    with pytest.raises(MalformedPayload) as refused:
        decode(escaped)
    assert refused.value.reason == "too_deep"


@pytest.mark.parametrize("raw", [b"\x00", b"\x1f"])
def test_a_raw_control_character_in_text_is_not_json(raw):
    # Text needs cleaning only where the bytes hold a \u escape; a raw NUL cannot slip past.
    with pytest.raises(MalformedPayload) as refused:
        decode(b'{"name": "Ada' + raw + b'"}')
    assert refused.value.reason == "invalid_json"
