"""A stored e-mail's personal link, kept without its token until the e-mail is sent."""

from __future__ import annotations

import re

# A stored e-mail keeps its personal link without the token (a candidate's /interview/ link, or
# a reviewer's invitation, /review/shared/); the token is filled in from its encrypted copy only
# to send (or, with no SMTP server, to hold it for the mailbox).
LINK_PLACEHOLDER = "[personal-link]"
LINK_PATHS = ("/interview/", "/review/shared/")
_LINK_TOKEN = re.compile(r"(/interview/|/review/shared/)[A-Za-z0-9_-]{16,}")
REVIEWER_INVITATION = "reviewer_invitation"  # Email.kind of a reviewer's invitation


def without_link(body: str) -> str:
    """The body with each personal link's token replaced by the placeholder."""
    return _LINK_TOKEN.sub(rf"\g<1>{LINK_PLACEHOLDER}", body)


def with_link(body: str, token: str | None) -> str:
    """The body with the placeholder replaced by the token of the e-mail's one personal link."""
    if token is None:
        return body
    for path in LINK_PATHS:
        body = body.replace(f"{path}{LINK_PLACEHOLDER}", f"{path}{token}")
    return body
