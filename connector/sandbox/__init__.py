"""The built-in sandbox ATS: a Kanban board at /sandbox that signs its webhooks like any ATS."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")
