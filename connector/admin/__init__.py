"""The admin web app: installations and their wizard, templates, people, and operations.

Server-rendered pages under /admin for a signed-in admin of one organization. Every query a
view makes starts from `current_organization_id()`, so one organization never sees another's
rows; anything else answers 404, never 403, so a guessed id reveals nothing.

Each area is its own module, registering its views on `bp`; routes.py gathers them all:
    installs.py       installations, connecting an ATS, and installation settings
    install_steps.py  the install wizard's later steps and the test event
    templates.py      the interview template editor
    people.py         users and roles
    ops.py            deliveries and pushes, and the pages' shared helpers
    ops_sessions.py   searching interview sessions
    ops_health.py     installation health
    erasures.py       erasing a candidate on request, and the receipts
    secrets.py        rotating a webhook secret
    privacy.py        the records of processing and the privacy settings in force
    privacy_settings.py  retention and erasure settings, and what is purged next
    access_log.py     the access log: filtered, paged, exported as CSV
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app
from flask_login import current_user

from connector.auth import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


def services():
    """The process's services (database, keyring, queue, settings)."""
    return current_app.extensions["connector"]


def admin_required(view):
    """Only a signed-in admin; a reviewer gets 404, a visitor the sign-in page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def current_organization_id() -> int:
    return current_user.organization_id
