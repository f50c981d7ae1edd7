"""The sandbox ATS, and any Kanban ATS that signs with Standard Webhooks: webhooks in, REST out."""

from adapters.sandbox.adapter import SandboxAdapter

__all__ = ["SandboxAdapter"]
