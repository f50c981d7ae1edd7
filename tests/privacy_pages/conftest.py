"""Privacy tests that touch no recording files: both databases, recordings in a directory."""

from __future__ import annotations

from tests.review.conftest import (  # noqa: F401  (fixtures shared with these tests)
    add_user, candidate, completed, invited, score_form, sign_in,
)
