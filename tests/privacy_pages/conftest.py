"""Privacy tests that touch no recording files: they run on both databases only."""

from tests.review.conftest import (  # noqa: F401  (fixtures shared with these tests)
    add_user, candidate, completed, invited, score_form, sign_in,
)
