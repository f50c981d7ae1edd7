"""Hypothesis strategies that turn an ATS's documented event into what a broken sender might post.

Each mutation picks a place in the event and nests it deeply, fills it with NUL, huge, empty or
oddly planed text, a lone surrogate, a value of another type, or removes it or adds a key.
"""

from __future__ import annotations

import json
import re

from hypothesis import strategies as st

# Text from every plane but the surrogates, so astral and unassigned code points come up.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
_DEEP = re.compile(r'"deep:(\d+)"')


def deep(levels: int) -> str:
    """A marker that `serialize` turns into `levels` nested arrays (json.dumps would recurse)."""
    return f"deep:{levels}"


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    st.just(""),
    st.tuples(TEXT, TEXT).map(lambda pair: "\x00".join(pair)),
    st.integers(1, 300_000).map(lambda n: "x" * n),
    st.integers(1, 5_000).map(lambda n: "7" * n),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF).map(lambda c: f"a{c}b"),
    st.integers(1, 3_000).map(deep),
    st.lists(TEXT, max_size=3),
    st.dictionaries(TEXT, TEXT, max_size=3),
)


def paths(data, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON document, as the keys and indexes that lead to it."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths(value, (*prefix, index))
    return found


def _at(data, path: tuple):
    for step in path:
        data = data[step]
    return data


def apply(data, mutation: tuple):
    """The document after one mutation ("set", "delete" or "add"), changed in place."""
    action, path, key, value = mutation
    if not path:
        return value if action == "set" else data
    parent, last = _at(data, path[:-1]), path[-1]
    if action == "set":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif isinstance(target := parent[last], dict):
        target[key] = value
    return data


@st.composite
def mutated(draw, documents: list[dict]):
    """A document drawn from `documents`, after up to four mutations."""
    data = json.loads(json.dumps(draw(st.sampled_from(documents))))
    for _ in range(draw(st.integers(0, 4))):
        places = paths(data)
        if not places:
            break
        path = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["set", "set", "delete", "add"]))
        data = apply(data, (action, path, draw(TEXT), draw(VALUES)))
    return data


def serialize(data, ascii_only: bool) -> bytes:
    """The document as a body: escaped or raw UTF-8 (a lone surrogate then makes it invalid)."""
    text = json.dumps(data, ensure_ascii=ascii_only)
    text = _DEEP.sub(lambda m: "[" * int(m[1]) + "]" * int(m[1]), text)
    return text.encode("utf-8", "surrogatepass")
