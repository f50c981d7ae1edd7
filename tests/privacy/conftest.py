"""Privacy tests run on both databases and, where files matter, on both recording stores."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import Fernet

from config import Settings
from tests.conftest import BUCKET


@pytest.fixture(params=["directory", "s3"])
def settings(request, database_url, tmp_path) -> Settings:
    """The shared settings, with recordings in a directory or in a fresh prefix of a bucket."""
    recordings, s3 = "", {}
    if request.param == "s3":
        recordings = f"s3://{BUCKET}/privacy-{uuid.uuid4().hex}"
        s3 = request.getfixturevalue("s3_options")
    return Settings(env="test", database_url=database_url,
                    secret_keys=(Fernet.generate_key().decode(),),
                    public_base_url="https://connector.test", data_dir=tmp_path,
                    allow_private_ats_hosts=True, recordings_url=recordings, s3=s3)


from sqlalchemy import select  # noqa: E402

from connector import accounts  # noqa: E402
from connector.models import Interview  # noqa: E402
from tests.review.conftest import (  # noqa: E402,F401  (fixtures shared with these tests)
    add_user, candidate, completed, invited, score_form, sign_in,
)

# The person of tests/adapters/greenhouse/fixtures/candidate_stage_change.json.
NAME, EMAIL = "Giuseppe Hurley", "giuseppe.hurley@example.com"
CANDIDATE_ID, APPLICATION_ID = "265772", "265277"
NEEDLES = [NAME, EMAIL, CANDIDATE_ID, APPLICATION_ID, "Giuseppe", "Hurley"]


@pytest.fixture
def person(client, services, completed):
    """The candidate, interviewed (two recordings, a written answer), scored and shared.

    Returns the interview's public id, token and storage prefix as they were before any erasure.
    """
    add_user(services, "ana@acme.test", role="admin", name="Ana")
    sign_in(client, "ana@acme.test")
    path = f"/review/sessions/{completed}"
    response = score_form(client, path, comments=f"{NAME} gave clear examples.")
    assert response.status_code in (200, 302, 303)
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        accounts.create_share_link(session, services.keyring, interview, False, 7)
        return {"public_id": interview.public_id,
                "prefix": f"{interview.installation_id}/{interview.public_id}",
                "interview_id": interview.id, "token": candidate_token(services, interview)}


def candidate_token(services, interview) -> str:
    return services.keyring.decrypt(interview.token_encrypted)
