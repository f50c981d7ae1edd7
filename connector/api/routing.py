"""Declaring an API operation once: its route, bearer check, input and output schemas.

`operation` registers the Flask view and records what it takes and returns, so the OpenAPI
document (connector/api/openapi.py) is built from the very schemas the views use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import wraps

from flask import Response, current_app, g, jsonify, request
from marshmallow import Schema

from connector.api import bp, tokens
from connector.api.errors import ApiError
from connector.api.schemas import cursor_of
from connector.crypto import hash_token

PUBLIC_ENDPOINTS: set[str] = set()
# An INTEGER column's largest value. A larger id cannot exist, and PostgreSQL would refuse to
# compare one (rather than find nothing), so such an id is a 404 before any query.
MAX_ID = 2**31 - 1
DEFAULT_RATE_LIMIT = "600/minute"  # per token; app.config["API_RATE_LIMIT"] overrides it
BEARER_CHALLENGE = 'Bearer realm="connector"'


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says of one route and method."""

    method: str
    rule: str
    endpoint: str
    tag: str
    summary: str
    description: str
    body: Schema | None
    query: Schema | None
    response: Schema | None
    status: int
    errors: tuple[int, ...]
    public: bool


OPERATIONS: list[Operation] = []


def services():
    return current_app.extensions["connector"]


def organization_id() -> int:
    """The organization of the request's token: every query starts from it."""
    return g.api_organization_id


def operation(method: str, rule: str, *, tag: str, response: Schema | None = None,
              status: int = 200, body: Schema | None = None, query: Schema | None = None,
              errors: tuple[int, ...] = (), public: bool = False):
    """Register a view under /api/v1: validated `body`/`query` in, `response` schema out.

    `errors` lists the statuses the view itself may answer beyond those the document adds for
    every operation (401, 429, 500), for a body (400, 413, 415, 422), a query (422) and an id
    in the path (404).
    """
    def decorator(view):
        endpoint = f"{tag}_{view.__name__}"

        @wraps(view)
        def wrapped(**kwargs):
            if any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in kwargs.values()):
                raise ApiError(404, "nothing has this id")
            if query is not None:
                kwargs["query"] = query.load(_query_args())
            if body is not None:
                kwargs["body"] = body.load(_json_body())
            result = view(**kwargs)
            if isinstance(result, Response):
                return result
            if response is None:
                return Response(status=status)
            return jsonify(response.dump(result)), status

        bp.add_url_rule(rule, endpoint=endpoint, view_func=wrapped, methods=[method])
        if public:
            PUBLIC_ENDPOINTS.add(f"{bp.name}.{endpoint}")
        summary, _, description = (view.__doc__ or "").strip().partition("\n")
        OPERATIONS.append(Operation(method.lower(), rule, endpoint, tag, summary.strip(),
                                    description.strip(), body, query, response, status,
                                    tuple(errors), public))
        return wrapped

    return decorator


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: /sessions/<public_id> -> /api/v1/sessions/{public_id}."""
    return bp.url_prefix + re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _query_args() -> dict:
    # A parameter given twice is ambiguous; marshmallow sees a list and refuses it.
    return {key: values[0] if len(values) == 1 else values
            for key, values in request.args.lists()}


def _json_body():
    if not request.is_json:
        raise ApiError(415, "send the body as JSON, with Content-Type: application/json")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "the body is not valid JSON")
    return data


@bp.before_request
def authenticate():
    """Every route but the published document needs a live bearer token of an organization."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "send a token as Authorization: Bearer <token>",
                       headers={"WWW-Authenticate": BEARER_CHALLENGE})
    with services().db.session() as db:
        row = tokens.find_token(db, token.strip())
        if row is None:
            raise ApiError(401, "the token is unknown or revoked", headers={
                "WWW-Authenticate": BEARER_CHALLENGE + ', error="invalid_token"'})
        tokens.touch(db, row)
        g.api_organization_id, g.api_token_id = row.organization_id, row.id


def page_of(db, query, id_column, page: dict) -> dict:
    """One page of rows, newest first, and the cursor of the next page (None: no more)."""
    if page.get("cursor"):
        query = query.where(id_column < page["cursor"])
    limit = page["limit"]
    rows = list(db.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"data": rows, "next_cursor": cursor_of(rows[-1].id) if more else None}


def _rate_key() -> str:
    """Requests are counted per token (its hash: no token in Redis keys), else per address."""
    from connector.auth import client_address

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "api-token:" + hash_token(token.strip())
    return "api-address:" + client_address()


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def limit_requests() -> None:
    """Apply the per-token request budget to every API route (Flask-Limiter, shared storage)."""
    from connector.auth import limiter

    limiter.limit(_rate_limit, key_func=_rate_key)(bp)
