"""The JSON API under /api/v1, for bearer tokens of one organization.

One module per resource (installations, templates, sessions, reviews, pushes), each declaring
its views with `routing.operation`; schemas.py holds every schema, openapi.py publishes them;
routes.py puts them all, with the error handlers and the request budget, on `bp`.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
