"""Sign-in for reviewers and admins, and who may look at a session's review page.

`connector.auth.access` answers "who is looking, and may they score?" for the review pages;
`connector.auth.views` holds the sign-in and sign-out pages, `account` the account page,
`sessions` how long a session lasts and how it ends, and `counters` the sign-in throttling's
counts in the database when there is no Redis.
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


def limits_storage_uri(redis_url: str | None, database_url: str) -> str:
    """Where sign-in attempts are counted, shared by every process: Redis, else the database."""
    from connector.auth.counters import storage_uri  # registers the database storage

    return redis_url or storage_uri(database_url)


# Configured per app in connector/app.py, on limits_storage_uri.
limiter = Limiter(key_func=client_address)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None  # the sign-in page says it itself; no flash needed
