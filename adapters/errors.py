"""The two error families of an adapter: refused deliveries (inbound) and failed API calls (outbound)."""

from __future__ import annotations


class ApiError(Exception):
    """An ATS API call failed; `retryable` says whether trying again may help.

    `reason` is what went wrong in our words; `reply` is what the ATS answered, if anything.
    The message holds both; pages for admins show the reason only.
    """

    retryable = False

    def __init__(self, message: str, status: int | None = None, reply: str = ""):
        super().__init__(f"{message} {reply}".strip())
        self.status = status
        self.reason = message
        self.reply = reply


class Unauthorized(ApiError):
    """401 or 403: the credentials are wrong or lack a permission."""


class NotFound(ApiError):
    """404: the candidate or application is gone."""


class Invalid(ApiError):
    """400 or 422: the ATS refused what we sent."""


class Superseded(Invalid):
    """The ATS refused a move because the application had left the stage read just before it:
    someone moved it meanwhile, and theirs stands. Nothing is wrong with the installation."""


class Temporary(ApiError):
    """5xx, a timeout or a dropped connection: try again later."""

    retryable = True


class RateLimited(Temporary):
    """429: wait `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float | None = None, reply: str = ""):
        super().__init__(message, status=429, reply=reply)
        self.retry_after = retry_after


class HostNotAllowed(ApiError):
    """The base URL points somewhere the adapter may not call."""


class WebhookError(Exception):
    """A delivery refused: each error carries its HTTP status and a machine-readable reason."""

    status = 400
    reason = "bad_request"

    def __init__(self, detail: str = "", reason: str | None = None):
        super().__init__(detail or self.reason)
        self.detail = detail
        if reason:
            self.reason = reason


class SignatureError(WebhookError):
    """Missing, malformed or wrong signature, or no secret to check it with."""

    status = 401
    reason = "bad_signature"


class MalformedPayload(WebhookError):
    """The body is not JSON, or not shaped like this ATS's payloads."""

    status = 400
    reason = "malformed_payload"
