"""The sandbox blueprint: off unless the `sandbox` setting is on, never indexed or framed."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, has_request_context, url_for
from flask_login import current_user

from connector.sandbox import board

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")


def services():
    return current_app.extensions["connector"]


@bp.before_request
def _only_when_on() -> None:
    # Runs for the nested API blueprint too (Flask applies a parent's hooks to its children).
    if not services().settings.sandbox:
        abort(404)


@bp.app_context_processor
def _board_link() -> dict:
    """The board's URL for the admin bar: only the sandbox organization's, only while it is on."""
    if not (has_request_context() and services().settings.sandbox):
        return {"sandbox_board_url": None}
    own = getattr(current_user, "organization_name", None) == board.ORGANIZATION
    return {"sandbox_board_url": url_for("sandbox.board_page") if own else None}


@bp.after_request
def _headers(response):
    response.headers.setdefault("X-Robots-Tag", "noindex")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'")
    return response
