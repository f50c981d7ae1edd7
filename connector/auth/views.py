"""Sign-in and sign-out pages for reviewers and admins."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from connector.accounts import authenticate, normalize_email
from connector.auth import limiter, login_manager
from connector.auth.access import SignedIn
from connector.candidate.views import page
from connector.crypto import hash_token
from connector.review_models import User

bp = Blueprint("auth", __name__)
log = logging.getLogger("connector.auth")

# Failed attempts allowed per client address, and separately per email address.
LOGIN_LIMITS = "5 per minute;20 per hour"
REFUSED = 401
# Where a sign-in lands without a `next`: the first of these the app has.
HOME_ENDPOINTS = ("review.index", "auth.account")
MAX_NEXT_LENGTH = 2000


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


@login_manager.user_loader
def load_user(user_id: str) -> SignedIn | None:
    """The signed-in user by id, on each request; a disabled or deleted user is signed out."""
    if not user_id.isdigit():
        return None
    with current_app.extensions["connector"].db.session() as db:
        user = db.scalar(select(User).where(User.id == int(user_id), User.active.is_(True)))
        return SignedIn.of(user) if user is not None else None


def _email_key() -> str:
    # Hashed: the limiter's keys live in Redis, which is no place for email addresses.
    return "login-email:" + hash_token(normalize_email(request.form.get("email", "")))


def _refused(response) -> bool:
    """Only failed attempts count against the limits: signing in a few times is fine."""
    return response.status_code == REFUSED


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS, methods=["POST"], deduct_when=_refused)
@limiter.limit(LOGIN_LIMITS, methods=["POST"], deduct_when=_refused, key_func=_email_key)
def login():
    """The sign-in form; on success, on to `next` (a local path) or the home page."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(target or _home())
        return _page("auth/login.html", 200, next=target or "")
    with current_app.extensions["connector"].db.session() as db:
        user = authenticate(db, request.form.get("email", ""), request.form.get("password", ""))
        identity = SignedIn.of(user) if user is not None else None
    if identity is None:
        log.info("auth.login-refused")
        return _page("auth/login.html", REFUSED, next=target or "", error=True,
                     email=request.form.get("email", "")[:320])
    session.clear()  # nothing from before sign-in carries over into the signed-in session
    login_user(identity)
    log.info("auth.login user=%s", identity.id)
    return redirect(target or _home(), 303)


@bp.post("/logout")
def logout():
    """Sign out and forget the session."""
    if current_user.is_authenticated:
        log.info("auth.logout user=%s", current_user.id)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), 303)


@bp.get("/account")
@login_required
def account():
    """Who is signed in, with the sign-out button."""
    return _page("auth/account.html", 200, user=current_user)


@bp.errorhandler(429)
def throttled(_exc):
    return _page("auth/throttled.html", 429)


@bp.errorhandler(CSRFError)
def form_expired(_exc):
    return _page("auth/login.html", 400, expired=True,
                 next=safe_next(request.values.get("next")) or "")


def _home() -> str:
    if current_user.is_authenticated and current_user.is_admin:  # an admin lands in the admin app
        has_index = any(r.rule in ("/admin", "/admin/") for r in current_app.url_map.iter_rules())
        return "/admin" if has_index else url_for("admin.users")
    endpoint = next(e for e in HOME_ENDPOINTS if e in current_app.view_functions)
    return url_for(endpoint)


def _page(template: str, status: int, **context):
    """A page with the candidate pages' headers (no cache, no referrer, strict CSP)."""
    response = page(template, status, **context)
    response.headers["Permissions-Policy"] = "camera=(), microphone=()"
    return response
