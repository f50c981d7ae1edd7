"""An invited candidate who has consented, and a small client for the interview API."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from connector.models import Email, Interview
from tests.conftest import fixture_body, signed_post

WEBM = b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 4  # EBML magic, then filler


def csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html)[1]


class Candidate:
    """The interview API as the room's JavaScript calls it, from one tab."""

    def __init__(self, client, token: str, writer: str | None = None):
        self.client, self.token = client, token
        self.base = f"/interview/{token}/api"
        self.writer = writer or uuid.uuid4().hex
        self.csrf = csrf_token(client, f"/interview/{token}")

    def headers(self, **extra):
        return {"X-CSRFToken": self.csrf, "X-Writer": self.writer, **extra}

    def post(self, path, body=None):
        return self.client.post(self.base + path, json=body or {}, headers=self.headers())

    def start(self, position, mime="video/webm;codecs=vp8,opus"):
        return self.post(f"/answers/{position}/takes", {"mime_type": mime})

    def chunk(self, position, take, index, data: bytes):
        return self.client.put(f"{self.base}/answers/{position}/takes/{take}/chunks/{index}",
                               data=data, headers=self.headers(
                                   **{"Content-Type": "application/octet-stream"}))

    def submit(self, position, take, chunks: list[bytes], sha256=None):
        import hashlib

        whole = b"".join(chunks)
        return self.post(f"/answers/{position}/takes/{take}/submit", {
            "chunks": len(chunks), "size": len(whole), "duration_ms": 1500,
            "sha256": sha256 or hashlib.sha256(whole).hexdigest()})

    def record(self, position, chunks: list[bytes]):
        """A whole take: start, upload every chunk, stop, submit."""
        take = self.start(position).get_json()["take"]
        for index, data in enumerate(chunks):
            assert self.chunk(position, take, index, data).status_code == 201
        self.post(f"/answers/{position}/takes/{take}/stop")
        return self.submit(position, take, chunks)

    def state(self):
        return self.client.get(self.base + "/state", headers=self.headers()).get_json()


@pytest.fixture
def invited(client, services, installation, greenhouse):
    """The token of a freshly invited candidate's interview."""
    signed_post(client, installation, fixture_body("greenhouse", "candidate_stage_change"))
    with services.db.session() as session:
        email = session.scalars(select(Email)).one()
    return re.search(r"/interview/([A-Za-z0-9_-]{43})", email.text_body)[1]


@pytest.fixture
def candidate(client, invited) -> Candidate:
    """The invited candidate, after agreeing to the consent text."""
    csrf = csrf_token(client, f"/interview/{invited}")
    response = client.post(f"/interview/{invited}/consent",
                           data={"agree": "yes", "csrf_token": csrf})
    assert response.status_code == 303
    return Candidate(client, invited)


def edit_plan(services, change) -> None:
    """Change the session's pinned plan, as a template with other questions would have made it."""
    with services.db.session() as session:
        interview = session.scalars(select(Interview)).one()
        plan = [dict(q) for q in interview.plan]
        change(plan)
        interview.plan = plan
