"""One error shape for every failure under /api/v1: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
import traceback

from flask import Blueprint, Response, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("connector.api")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
}
# Headers an HTTP error must keep (Allow on a 405, Retry-After on a 429, ...).
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class ApiError(Exception):
    """A refusal with its status, machine-readable code, message and details."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 details: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or CODES.get(status, "error")
        self.details, self.headers = details or {}, headers or {}


def not_found(what: str) -> ApiError:
    return ApiError(404, f"no {what} with this id")


def error_response(status: int, code: str, message: str, details: dict | None = None,
                   headers: dict | None = None) -> Response:
    response = jsonify(error={"code": code, "message": message, "details": details or {}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _from_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k in _KEPT_HEADERS}
    message = exc.description or exc.name
    return error_response(status, CODES.get(status, "error"), message, headers=headers)


def register(bp: Blueprint) -> None:
    """Error handlers for the blueprint's views, and for unknown paths and methods under it."""

    @bp.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @bp.errorhandler(ValidationError)
    def invalid(exc: ValidationError):
        return error_response(422, CODES[422], "the request has invalid fields",
                              {"fields": exc.normalized_messages()})

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _from_http(exc)

    @bp.errorhandler(Exception)
    def unexpected(exc: Exception):
        # The type, the route and where it happened: a message may quote the request's data.
        log.error("api.error type=%s endpoint=%s at %s", type(exc).__name__, request.endpoint,
                  _where(exc))
        return error_response(500, CODES[500], "something went wrong on our side")

    @bp.before_app_request
    def routing_error():
        # A path or method no API route matches never reaches the blueprint's handlers
        # (Flask picks handlers by the matched route's blueprint), so answer it here.
        exc = request.routing_exception
        in_api = request.path == bp.url_prefix or request.path.startswith(bp.url_prefix + "/")
        if in_api and isinstance(exc, HTTPException) and (exc.code or 0) >= 400:
            return _from_http(exc)
        return None


def _where(exc: BaseException) -> str:
    """The frames an exception passed through, as file:line in function; no source, no text."""
    return " < ".join(f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
                      for frame in reversed(traceback.extract_tb(exc.__traceback__)))
