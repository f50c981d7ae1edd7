"""Turning a verified body into a dict every adapter can trust: UTF-8 JSON, an object, its schema.

Text is cleaned rather than refused: NUL, which PostgreSQL text cannot hold, is removed, and a
lone surrogate, which no database can encode, becomes U+FFFD, so a candidate whose name carries
either is still invited. The raw body is stored as it came: JSON writes both as ASCII escapes.
What cannot be cleaned is refused: nesting past MAX_DEPTH, NaN and Infinity (not JSON, RFC 8259
section 6), and, in each adapter's schemas, values of a type or length the ATS does not send.
"""

from __future__ import annotations

import json
import re

from marshmallow import Schema, ValidationError, fields, validate

from adapters.errors import MalformedPayload

# Containers inside containers. Greenhouse's documented payloads nest 8 deep (its webhook docs'
# candidate_stage_change: envelope, payload, application, current_stage, interviews, ...).
MAX_DEPTH = 32
MAX_DETAIL = 500  # characters of schema messages echoed back to the sender
_SURROGATE = re.compile("[\ud800-\udfff]")
# Every byte but the brackets and the quote, for bytes.translate to delete.
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'[]{}"')
_STRING = re.compile(rb'"[^"]*"')


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


# Built once: json.loads given any option builds a decoder and its scanner for every call.
_DECODER = json.JSONDecoder(parse_constant=_not_json)


def load_object(body: bytes, schema: Schema, what: str) -> dict:
    """The body as a JSON object loaded by `schema`; MalformedPayload naming `what` otherwise."""
    data = decode(body)
    if not isinstance(data, dict):
        raise MalformedPayload("the body is not a JSON object")
    return load(schema, data, what)


def load(schema: Schema, data: object, what: str) -> dict:
    """`data` loaded by `schema`; MalformedPayload naming `what` and the fields otherwise."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise MalformedPayload(f"not {what}: {exc.messages}"[:MAX_DETAIL]) from exc


def decode(body: bytes) -> object:
    """The body's JSON with its text cleaned; MalformedPayload if not JSON or nested too deep."""
    try:
        data = _DECODER.decode(body.decode("utf-8"))
    except RecursionError as exc:  # the C parser gives up near 1,000 levels: far past ours
        raise _too_deep() from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload("the body is not UTF-8 JSON", "invalid_json") from exc
    # JSON text holds a NUL only as an escape (a raw one is refused above), and UTF-8 cannot
    # carry a surrogate: without a \u escape in the bytes, no text needs cleaning.
    if b"\\u" in body:
        return cleaned(data)
    if nesting(body) > MAX_DEPTH:
        raise _too_deep()
    return data


def cleaned(data: object) -> object:
    """`data` with every string cleaned in place, walked without recursion; depth checked."""
    if isinstance(data, str):
        return clean_text(data)
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(node, dict):
            _clean_keys(node)
        for key, value in (node.items() if isinstance(node, dict) else enumerate(node)):
            if isinstance(value, str):
                node[key] = clean_text(value)
            elif isinstance(value, dict | list):
                stack.append((value, depth + 1))
    return data


def nesting(body: bytes) -> int:
    """How deep the containers of a JSON text nest, counted on its bytes (MAX_DEPTH + 1 at most).

    Every delivery pays for this check: done on the bytes, with bytes methods, it takes a third
    of the time of walking the parsed containers. The body must be valid JSON.
    """
    if b"\\" in body:  # escaped backslashes, then escaped quotes: neither ends a string
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    # The strings' quotes and any bracket inside them; "" is an empty string, or the end of
    # one and the start of the next with nothing structural between: either may go.
    marks = body.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in marks:
        marks = _STRING.sub(b"", marks)
    marks, depth = marks.replace(b"[", b"{").replace(b"]", b"}"), 0
    while marks and depth <= MAX_DEPTH:  # each pass removes the innermost level
        marks, depth = marks.replace(b"{}", b""), depth + 1
    return depth


def clean_text(value: str) -> str:
    """The text without NUL, and with U+FFFD for any lone surrogate."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii() and _SURROGATE.search(value):
        value = _SURROGATE.sub("\ufffd", value)
    return value


def _clean_keys(node: dict) -> None:
    if all(clean_text(key) == key for key in node):
        return
    items = list(node.items())
    node.clear()
    node.update((clean_text(key), value) for key, value in items)


def _too_deep() -> MalformedPayload:
    return MalformedPayload(f"the JSON nests deeper than {MAX_DEPTH} levels", "too_deep")


def text(maximum: int, **kwargs) -> fields.String:
    """A string field of at most `maximum` characters, None allowed, "" when absent."""
    return fields.String(allow_none=True, load_default=kwargs.pop("load_default", ""),
                         validate=validate.Length(max=maximum), **kwargs)
