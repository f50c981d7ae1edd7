"""The sign-in blueprint with the account page on it as well."""

from connector.auth import account  # noqa: F401  (registers the account page on bp)
from connector.auth.views import bp

__all__ = ["bp"]
