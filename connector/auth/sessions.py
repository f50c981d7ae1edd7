"""Signed-in sessions: what the cookie holds, how long it lasts, and ending it on the server.

The cookie keeps the user's id and their current session token (SignInState.session_token).
Signing out, changing or resetting the password, and deactivation replace the token, so every
cookie issued before stops working at its next request, wherever it is. A session also ends
after IDLE_SECONDS without a request and ABSOLUTE_SECONDS after sign-in, however busy.
"""

from __future__ import annotations

import time

from flask import current_app, session
from flask_login import login_user, logout_user
from sqlalchemy import select

from connector import accounts
from connector.auth import login_manager
from connector.auth.access import SignedIn
from connector.models import SignInState, User

IDLE_SECONDS = 2 * 3600
ABSOLUTE_SECONDS = 12 * 3600
SEEN_EVERY_SECONDS = 60  # the last-activity stamp moves at most once a minute: fewer cookies
STARTED, SEEN = "signed_in_at", "seen_at"


def start(identity: SignedIn) -> None:
    """Sign in on a fresh session: nothing from before carries over, and the clocks start."""
    session.clear()
    login_user(identity)
    session[STARTED] = session[SEEN] = int(time.time())


def end(user_id: int) -> None:
    """Sign out, ending every session of the user, this one included."""
    with current_app.extensions["connector"].db.session() as db:
        accounts.end_sessions(db, user_id)
    logout_user()
    session.clear()


def in_time() -> bool:
    """Whether this session is within its idle and absolute limits; if so, it counts as active."""
    now = time.time()
    started, seen = session.get(STARTED), session.get(SEEN)
    if not isinstance(started, int) or not isinstance(seen, int):
        return False  # from before these limits, or a remember-me cookie without a session
    if now - started > ABSOLUTE_SECONDS or now - seen > IDLE_SECONDS:
        return False
    if now - seen >= SEEN_EVERY_SECONDS:
        session[SEEN] = int(now)
    return True


@login_manager.user_loader
def load_user(signed_in_as: str) -> SignedIn | None:
    """The signed-in user on each request; None (signed out) for an ended or expired session."""
    user_id, _, token = signed_in_as.partition(":")
    if not (user_id.isdigit() and token and in_time()):
        return None
    with current_app.extensions["connector"].db.session() as db:
        row = db.execute(select(User, SignInState).join(
            SignInState, SignInState.user_id == User.id).where(
            User.id == int(user_id), User.active.is_(True))).first()
        if row is None or not accounts.session_matches(row.SignInState, token):
            return None
        return SignedIn.of(row.User, row.SignInState)
