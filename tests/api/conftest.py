"""Two organizations with an installation and an API token each, and a client that sends it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from connector import accounts
from connector.api import tokens
from tests.conftest import make_installation

PASSWORD = "correct horse battery staple"


class Api:
    """The test client with one organization's bearer token on every request."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self, headers):
        sent = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**sent, **(headers or {})}

    def get(self, path, **kwargs):
        return self.client.get("/api/v1" + path, headers=self._headers(kwargs.pop("headers", None)),
                               **kwargs)

    def post(self, path, json=None, **kwargs):
        headers = self._headers(kwargs.pop("headers", None))
        return self.client.post("/api/v1" + path, json=json, headers=headers, **kwargs)

    def put(self, path, json=None, **kwargs):
        headers = self._headers(kwargs.pop("headers", None))
        return self.client.put("/api/v1" + path, json=json, headers=headers, **kwargs)

    def patch(self, path, json=None, **kwargs):
        headers = self._headers(kwargs.pop("headers", None))
        return self.client.patch("/api/v1" + path, json=json, headers=headers, **kwargs)


@dataclass
class Tenant:
    """An organization as the API sees it: its installation, its token, its client."""

    name: str
    installation: dict
    token: str
    api: Api


def new_token(services, organization: str, name: str = "test") -> str:
    with services.db.session() as db:
        return tokens.create_token(db, organization, name)[1]


def tenant(services, client, organization: str) -> Tenant:
    installation = make_installation(services, ["Assessment"], organization=organization,
                                     name=f"{organization} Greenhouse")
    with services.db.session() as db:
        accounts.create_user(db, organization, f"admin@{organization.lower()}.example", PASSWORD,
                             "admin")
    token = new_token(services, organization)
    return Tenant(organization, installation, token, Api(client, token))


@pytest.fixture
def acme(services, client) -> Tenant:
    return tenant(services, client, "Acme")


@pytest.fixture
def beta(services, client) -> Tenant:
    return tenant(services, client, "Beta")


def invite_by_hand(org: Tenant, application_id: str = "1001", **fields):
    """POST /sessions for one candidate; the response."""
    body = {"installation_id": org.installation["public_id"], "candidate_name": "Ada Lovelace",
            "candidate_email": "ada@example.org", "job_title": "Engineer",
            "ats_application_id": application_id, "ats_candidate_id": "5001", **fields}
    return org.api.post("/sessions", json=body)


def assert_error(response, status: int, code: str) -> dict:
    """The one error shape, with this status and code; returns its details."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["details"]


TEMPLATE = {
    "name": "Backend screen",
    "questions": [
        {"prompt": "Warm up: say hello.", "is_practice": True},
        {"prompt": "Why this role?", "prep_seconds": 20, "answer_seconds": 90, "retakes": 2},
        {"prompt": "Describe a design you are proud of.", "kind": "text",
         "max_characters": 800},
    ],
    "rubric": [{"name": "Communication",
                "anchors": ["Unclear", "Patchy", "Clear", "Crisp", "Compelling"]}],
    "deadline_hours": 48, "reminder_hours": 12, "welcome_text": "Welcome!",
    "brand_color": "#1F6FEB", "logo_url": "https://cdn.example.org/logo.png",
    "consent_text": "We keep your answers for 90 days.", "consent_version": "2026-11",
}
