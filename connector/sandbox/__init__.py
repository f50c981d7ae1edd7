"""The built-in sandbox ATS: a Kanban board at /sandbox that signs its webhooks like any ATS.

    blueprint.py  the blueprint, and what every page under /sandbox shares
    views.py      the board, a card's profile, moving a card (a form, or drag and drop)
    api.py        the REST contract of adapters/sandbox/client.py, under /sandbox/api
    mailbox.py    e-mails held for want of SMTP_URL, readable at /sandbox/mailbox
    seed.py       the organization, installation, cards and admin it starts with
    cli.py        `connector sandbox seed`

Everything answers 404 unless the `sandbox` setting is on (never in production).
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect


def register(app: Flask, csrf: CSRFProtect) -> None:
    """Add the board, its mailbox and its API to the app; the API takes keys, not CSRF tokens."""
    from connector.sandbox import mailbox, views  # noqa: F401  (their views join bp)
    from connector.sandbox.api import api
    from connector.sandbox.blueprint import bp

    app.register_blueprint(bp)
    csrf.exempt(api)  # bearer keys, no cookies: nothing for a cross-site form to ride on
