"""Why a delivery was refused: each error carries its HTTP status and a machine-readable reason."""

from __future__ import annotations


class WebhookError(Exception):
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


class PayloadTooLarge(WebhookError):
    status = 413
    reason = "payload_too_large"


class UnknownInstallation(WebhookError):
    status = 404
    reason = "unknown_installation"
