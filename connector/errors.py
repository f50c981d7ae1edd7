"""A database that does not answer in time: 503 with Retry-After, never a hung request or a 500.

connector.db bounds every wait on the database below gunicorn's worker timeout; what times out
lands here. An ATS retries a webhook answered 503, a script reads Retry-After, a person sees a
page asking them to try again. A job meets the same errors as exceptions and is tried later.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy.exc import OperationalError, TimeoutError as PoolTimeout

log = logging.getLogger("connector.web")

RETRY_AFTER_SECONDS = 30
UNAVAILABLE = {"error": "service_unavailable",
               "detail": "The database did not answer in time; try again shortly."}
_JSON_PREFIXES = ("/api/",)  # webhooks answer JSON on their own (webhooks.views)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Please try again shortly</title></head>
<body><h1>Please try again shortly</h1>
<p>The service is busy and could not answer just now. Nothing you sent was lost: reload this
page in a minute.</p></body></html>
"""


def register(app: Flask) -> None:
    """Answer 503 for a database that is unreachable, too slow, or out of free connections."""
    app.register_error_handler(OperationalError, unavailable)
    app.register_error_handler(PoolTimeout, unavailable)


def unavailable(error: Exception):
    """503 with Retry-After: JSON for the API and scripts, a short page for a browser.

    Webhooks answer their own 503 (webhooks.views), with the same body and Retry-After.
    """
    log_unavailable(error)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if _wants_html():
        return _PAGE, 503, {**headers, "Content-Type": "text/html; charset=utf-8"}
    return jsonify(**UNAVAILABLE), 503, headers


def log_unavailable(error: Exception) -> None:
    """One line naming the driver's error, never its message: that may quote the statement."""
    log.warning("web.database-unavailable error=%s", type(getattr(error, "orig", error)).__name__)


def _wants_html() -> bool:
    if request.path.startswith(_JSON_PREFIXES):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"
