"""Sign-in and sign-out pages for reviewers and admins."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from connector.accounts import authenticate, normalize_email, sign_in_state
from connector.auth import client_address, limiter, sessions
from connector.auth.access import SignedIn
from connector.crypto import hash_token

bp = Blueprint("auth", __name__)
log = logging.getLogger("connector.auth")

# Failed sign-ins allowed from one address at any accounts, and at one account from one
# address: an attacker elsewhere can never use up the owner's allowance.
ADDRESS_LIMITS = "10 per minute;50 per hour"
ACCOUNT_LIMITS = "5 per minute;20 per hour"
REFUSED = 401
# Where a sign-in lands without a `next`: the first of these the app has.
HOME_ENDPOINTS = ("review.index", "auth.account")
MAX_NEXT_LENGTH = 2000
# What someone signed in with a temporary password may reach before replacing it.
TEMPORARY_ENDPOINTS = ("auth.account", "auth.logout", "static")


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site; None for anything that could leave it."""
    if not target or len(target) > MAX_NEXT_LENGTH or not target.startswith("/"):
        return None
    # Browsers read "\" as "/" ("/\evil.example" is another host) and drop tabs and newlines.
    if "\\" in target or any(ord(c) < 0x21 or ord(c) == 0x7f for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


def address_key() -> str:
    """The throttling key of this address (hashed: no addresses in Redis or the database)."""
    return "login-address:" + hash_token(client_address())


def account_key() -> str:
    """The throttling key of one account from this address, hashed as well."""
    email = normalize_email(request.form.get("email", ""))
    return "login-account:" + hash_token(f"{email} {client_address()}")


def _refused(response) -> bool:
    """Only failed attempts count against the limits: signing in a few times is fine."""
    return response.status_code == REFUSED


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ADDRESS_LIMITS, methods=["POST"], deduct_when=_refused, key_func=address_key)
@limiter.limit(ACCOUNT_LIMITS, methods=["POST"], deduct_when=_refused, key_func=account_key)
def login():
    """The sign-in form; on success, on to `next` (a local path) or the home page."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(target or home())
        return page("auth/login.html", 200, next=target or "")
    with current_app.extensions["connector"].db.session() as db:
        user = authenticate(db, request.form.get("email", ""), request.form.get("password", ""))
        identity = SignedIn.of(user, sign_in_state(db, user.id)) if user is not None else None
    if identity is None:
        log.info("auth.login-refused")
        return page("auth/login.html", REFUSED, next=target or "", error=True,
                    email=request.form.get("email", "")[:320])
    sessions.start(identity)
    log.info("auth.login user=%s", identity.id)
    if identity.must_change_password:
        return redirect(url_for("auth.account"), 303)
    return redirect(target or home(), 303)


@bp.post("/logout")
def logout():
    """Sign out: this and every other session of the user end on the server."""
    if current_user.is_authenticated:
        log.info("auth.logout user=%s", current_user.id)
        sessions.end(current_user.id)
    return redirect(url_for("auth.login"), 303)


@bp.before_app_request
def _temporary_password_first():
    """Someone signed in with an admin's temporary password sees only the page to replace it.

    This also loads the signed-in user before the view opens its own transaction: a page
    rendered inside one would otherwise load them in a second, which on SQLite waits for it.
    """
    if request.endpoint is None or request.endpoint in TEMPORARY_ENDPOINTS:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.account"), 303)
    return None


@bp.errorhandler(429)
def throttled(_exc):
    return page("auth/throttled.html", 429)


@bp.errorhandler(CSRFError)
def form_expired(_exc):
    if request.endpoint == "auth.account" and current_user.is_authenticated:
        return page("auth/account.html", 400, user=current_user, errors={}, expired=True)
    return page("auth/login.html", 400, expired=True,
                next=safe_next(request.values.get("next")) or "")


def home() -> str:
    """Where a signed-in user lands: an admin in the admin app, anyone else on the review list."""
    if current_user.is_authenticated and current_user.is_admin:  # an admin lands in the admin app
        has_index = any(r.rule in ("/admin", "/admin/") for r in current_app.url_map.iter_rules())
        return "/admin" if has_index else url_for("admin.users")
    endpoint = next(e for e in HOME_ENDPOINTS if e in current_app.view_functions)
    return url_for(endpoint)


def page(template: str, status: int, **context):
    """A sign-in page: never cached or indexed, no camera (the app adds CSP and the rest)."""
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Permissions-Policy"] = "camera=(), microphone=()"
    return response
