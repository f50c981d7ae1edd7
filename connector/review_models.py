"""The review tables under the name they had before connector.models was a package."""

from connector.models import (  # noqa: F401
    LinkPurpose,
    Rating,
    Recommendation,
    ReviewerInvitation,
    Role,
    Scorecard,
    ShareLink,
    User,
)
