"""The API blueprint complete: error handlers, request budget, and every resource's views."""

from connector.api import bp, errors, routing
from connector.api import (  # noqa: F401  (each registers its views on bp)
    erasures,
    installations,
    openapi,
    pushes,
    reviews,
    sessions,
    templates,
)

errors.register(bp)
routing.limit_requests()

__all__ = ["bp"]
