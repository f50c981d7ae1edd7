"""Sign-in for reviewers and admins, and who may look at a session's review page.

`connector.auth.access` answers "who is looking, and may they score?" for the review pages;
`connector.auth.views` holds the sign-in and sign-out pages.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter import Limiter
from flask_login import LoginManager


def client_address() -> str:
    """The client's IP address: the socket's, or as the trusted proxies in front reported it."""
    hops = current_app.extensions["connector"].settings.trusted_proxies
    if hops > 0:
        # Each proxy appends the address it saw; entries left of ours may be forged.
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
        if len(forwarded) >= hops and forwarded[-hops]:
            return forwarded[-hops]
    return request.remote_addr or "unknown"


# Configured per app in connector/app.py (storage: Redis when REDIS_URL is set).
limiter = Limiter(key_func=client_address)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None  # the sign-in page says it itself; no flash needed
