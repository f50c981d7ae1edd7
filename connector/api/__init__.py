"""The JSON API under /api/v1, for bearer tokens of one organization.

One module per resource (installations, templates, sessions, reviews, pushes), each declaring
its views with `routing.operation`; schemas.py holds every schema, openapi.py publishes them.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from connector.api import errors  # noqa: E402

errors.register(bp)

from connector.api import routing  # noqa: E402

routing.limit_requests()

from connector.api import (  # noqa: E402,F401  (each registers its views on bp)
    installations,
    openapi,
    pushes,
    reviews,
    sessions,
    templates,
)
