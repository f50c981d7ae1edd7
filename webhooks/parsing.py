"""Turning a verified body into a dict every adapter can trust: UTF-8 JSON, an object, its schema."""

from __future__ import annotations

import json

from marshmallow import Schema, ValidationError

from webhooks.errors import MalformedPayload


def load_object(body: bytes, schema: Schema, what: str) -> dict:
    """The body as a JSON object loaded by `schema`; MalformedPayload naming `what` otherwise."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload("the body is not UTF-8 JSON", "invalid_json") from exc
    if not isinstance(data, dict):
        raise MalformedPayload("the body is not a JSON object")
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise MalformedPayload(f"not {what}: {exc.messages}") from exc
