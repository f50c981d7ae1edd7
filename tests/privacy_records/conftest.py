"""The person of tests/privacy, on both databases with recordings in a directory only: the
records of processing count rows and bytes, and never read a stored file."""

from tests.admin.conftest import admin_client, user_client  # noqa: F401  (shared fixtures)
from tests.privacy.conftest import person  # noqa: F401
from tests.review.conftest import candidate, completed, invited  # noqa: F401
