"""/api/v1/openapi.json: the OpenAPI document, built by apispec from the views' own schemas."""

from __future__ import annotations

import re
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify

from connector.api import schemas
from connector.api.errors import CODES
from connector.api.routing import MAX_ID, OPERATIONS, Operation, openapi_path, operation

OPENAPI_VERSION = "3.0.3"
BEARER = "bearerAuth"
DESCRIPTION = """The connector's JSON API, for one organization per token.

Send `Authorization: Bearer <token>` (make one with `connector tokens create`). Every id of
another organization answers 404. Every error has one shape:
`{"error": {"code": "...", "message": "...", "details": {...}}}`; an invalid field is listed
under `details.fields`. Lists are newest first; pass `next_cursor` as `cursor` for the next page.
"""
ERROR_WORDS = {
    400: "The body is not valid JSON.",
    401: "The bearer token is missing, unknown or revoked.",
    404: "Nothing with this id in your organization.",
    405: "This path does not take this method.",
    409: "The change conflicts with the resource's state.",
    413: "The body is larger than 1 MiB.",
    415: "The body is not JSON.",
    422: "A field is invalid; `details.fields` says which and why.",
    429: "Too many requests with this token; wait for Retry-After seconds.",
    500: "Something went wrong on our side.",
}
ALWAYS = (401, 429, 500)


@cache
def document() -> dict:
    """The whole document (built once per process: the routes do not change while it runs)."""
    spec = APISpec(title="connector API", version="1.0.0", openapi_version=OPENAPI_VERSION,
                   plugins=[MarshmallowPlugin()], info={"description": DESCRIPTION})
    spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer",
                                              "description": "A token from `connector tokens "
                                                             "create`."})
    spec.components.schema("Error", schema=schemas.Error)
    for status, words in ERROR_WORDS.items():
        spec.components.response(CODES[status], {
            "description": words,
            "content": {"application/json": {"schema": "Error"}}})
    for tag in sorted({op.tag for op in OPERATIONS if not op.public}):
        spec.tag({"name": tag})
    by_path: dict[str, dict] = {}
    for op in OPERATIONS:
        if op.public:
            continue
        by_path.setdefault(openapi_path(op.rule), {})[op.method] = _operation(op)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(op: Operation) -> dict:
    statuses = set(op.errors) | set(ALWAYS)
    if op.body is not None:
        statuses |= {400, 413, 415, 422}
    if op.query is not None:
        statuses.add(422)
    if "<" in op.rule:
        statuses.add(404)
    statuses = sorted(statuses)
    responses = {str(s): CODES[s] for s in statuses}
    if op.response is not None:
        responses[str(op.status)] = {"description": "Done.",
                                     "content": {"application/json": {"schema": op.response}}}
    else:
        responses[str(op.status)] = {"description": "Done."}
    spec = {"operationId": op.endpoint, "tags": [op.tag], "summary": op.summary,
            "security": [{BEARER: []}], "responses": responses,
            "parameters": _path_parameters(op.rule)}
    if op.description:
        spec["description"] = op.description
    if op.query is not None:
        spec["parameters"].append({"in": "query", "schema": op.query})
    if op.body is not None:
        spec["requestBody"] = {"required": True,
                               "content": {"application/json": {"schema": op.body}}}
    return spec


def _path_parameters(rule: str) -> list[dict]:
    parameters = []
    for converter, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule):
        schema = ({"type": "integer", "minimum": 0, "maximum": MAX_ID} if converter == "int"
                  else {"type": "string", "minLength": 1})
        parameters.append({"in": "path", "name": name, "required": True, "schema": schema})
    return parameters


@operation("GET", "/openapi.json", tag="meta", public=True)
def openapi_document():
    """The OpenAPI document of this API (no token needed)."""
    return jsonify(document())
