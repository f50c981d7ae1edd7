"""adapters.parsing.nesting, counted on the bytes, agrees with a walk of the parsed JSON."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from adapters.parsing import MAX_DEPTH, nesting

# Text rich in what could fool a count on bytes: brackets, quotes and backslashes in strings.
TEXT = st.text(alphabet=st.sampled_from('[]{}"\\ aé\n/u0'), max_size=8)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(TEXT, inner, max_size=3), max_leaves=40)


def walked(value: object) -> int:
    """The nesting of the parsed value: 1 for a container holding no container, 0 for a scalar."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return 1 + max(map(walked, value), default=0)
    return 0


@settings(max_examples=400)
@given(JSON, st.booleans(), st.booleans())
def test_nesting_on_the_bytes_is_the_nesting_of_the_parsed_value(value, ascii_only, spaced):
    body = json.dumps(value, ensure_ascii=ascii_only,
                      indent=1 if spaced else None).encode()
    assert nesting(body) == min(walked(value), MAX_DEPTH + 1)


@given(st.integers(0, MAX_DEPTH + 3), TEXT)
def test_nesting_stops_counting_past_the_bound(depth, text):
    body = json.dumps(text).encode()
    for _ in range(depth):
        body = b'{"k": [1, ' + body + b"]}" if depth % 2 else b"[" + body + b"]"
    expected = depth * (2 if depth % 2 else 1)
    assert nesting(body) == min(expected, MAX_DEPTH + 1)
