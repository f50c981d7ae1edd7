"""A completed interview with two recorded answers, and reviewers who can sign in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from connector import accounts
from connector.models import Interview
from tests.candidate.conftest import (  # noqa: F401  (fixtures shared with these tests)
    WEBM,
    Candidate,
    candidate,
    csrf_token,
    edit_plan,
    invited,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def completed(client, candidate, services):
    """The interview of tests/candidate's candidate, answered and finished."""
    def written_third(plan):
        plan[3].update(kind="text", max_characters=500)
    edit_plan(services, written_third)
    assert candidate.record(1, [WEBM, b"a" * 5000]).status_code == 200
    assert candidate.record(2, [WEBM, b"b" * 3000]).status_code == 200
    assert candidate.post("/answers/3/text", {"text": "Because it matters."}).status_code == 200
    assert candidate.post("/finish").status_code == 200
    with services.db.session() as db:
        return db.scalars(select(Interview)).one().public_id


def add_user(services, email, organization="Acme", role="reviewer", name=""):
    with services.db.session() as db:
        accounts.create_user(db, organization, email, PASSWORD, role, name=name)


def sign_in(client, email):
    token = csrf_token_of(client, "/login")
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]


def csrf_token_of(client, path) -> str:
    """A form token of the client's session (one per session, whichever form shows it), read
    first from pages that show no interview, so that taking it logs no view of one."""
    for page in ("/account", "/login", path):
        html = client.get(page).get_data(as_text=True)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        if found:
            return found[1]
    raise AssertionError("no form with a CSRF token")


def score_form(client, path, **fields):
    data = {"csrf_token": csrf_token_of(client, path), "competency-0": "4",
            "competency-1": "5", "competency-2": "3", "question-1": "4",
            "recommendation": "yes", "comments": "Good examples.", "action": "submit"}
    data.update(fields)
    return client.post(path, data=data)


__all__ = ["Candidate", "csrf_token"]
