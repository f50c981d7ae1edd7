"""Why the webhook view refused a delivery before any adapter read it."""

from __future__ import annotations

from adapters.errors import MalformedPayload, SignatureError, WebhookError

__all__ = ["MalformedPayload", "PayloadTooLarge", "SignatureError", "UnknownInstallation",
           "WebhookError"]


class PayloadTooLarge(WebhookError):
    status = 413
    reason = "payload_too_large"


class UnknownInstallation(WebhookError):
    status = 404
    reason = "unknown_installation"
