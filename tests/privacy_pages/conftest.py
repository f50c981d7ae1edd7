"""Pages that tell candidates about their data: both databases, recordings in a directory."""

from __future__ import annotations

from tests.review.conftest import (  # noqa: F401  (fixtures shared with these tests)
    candidate, completed, invited,
)
