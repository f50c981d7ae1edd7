"""The review blueprint with the reviewer invitations' routes on it as well."""

from connector.review import invitation_views  # noqa: F401  (its routes join bp)
from connector.review.views import bp

__all__ = ["bp"]
