"""The account page: who is signed in, changing one's own password, and signing out."""

from __future__ import annotations

import logging

from flask import current_app, flash, g, redirect, request, url_for
from flask_login import current_user, login_required

from connector import accounts
from connector.auth import client_address, limiter, sessions
from connector.auth.access import SignedIn
from connector.auth.views import bp, home, page
from connector.crypto import hash_token
from connector.models import User

log = logging.getLogger("connector.auth")
# Wrong current passwords allowed per user and address: a stolen session cannot guess on.
CHANGE_LIMITS = "5 per minute;20 per hour"


def _wrong_current_password(_response) -> bool:
    return bool(g.get("wrong_current_password"))


def _user_key() -> str:
    user_id = getattr(current_user, "id", "anonymous")
    return f"password-change:{user_id}:" + hash_token(client_address())


@bp.route("/account", methods=["GET", "POST"])
@login_required
@limiter.limit(CHANGE_LIMITS, methods=["POST"], deduct_when=_wrong_current_password,
               key_func=_user_key)
def account():
    """Who is signed in, the form to change the password, and the sign-out button."""
    if request.method == "GET":
        return page("auth/account.html", 200, user=current_user, errors={})
    forced = current_user.must_change_password
    errors = _change_password()
    if errors:
        return page("auth/account.html", 400, user=current_user, errors=errors)
    log.info("auth.password-changed user=%s", current_user.id)
    flash("Your password is changed. Any other session of yours is signed out.", "ok")
    return redirect(home() if forced else url_for("auth.account"), 303)


def _change_password() -> dict[str, str]:
    """Check the form and store the new password; what is wrong, by field, if not."""
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    with current_app.extensions["connector"].db.session() as db:
        user = db.get(User, current_user.id)
        errors = _problems(user, current, new, request.form.get("repeat_password", ""))
        if errors:
            return errors
        state = accounts.set_password(db, user, new)  # ends every session, this one too
        identity = SignedIn.of(user, state)
    sessions.start(identity)  # this one goes on, with the new token
    return {}


def _problems(user: User, current: str, new: str, repeat: str) -> dict[str, str]:
    errors = {}
    if not accounts.check_password(user, current):
        g.wrong_current_password = True
        errors["current_password"] = "This is not your current password."
    problems = accounts.password_problems(new, user.email, user.name, user.organization.name)
    if problems:
        errors["new_password"] = problems[0][:1].upper() + problems[0][1:]
    elif new == current:
        errors["new_password"] = "Choose a password other than your current one."
    elif new != repeat:
        errors["repeat_password"] = "This is not the same as the new password above."
    return errors
