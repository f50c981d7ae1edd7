"""The sandbox on: settings with it switched on, a seeded board, and HTTP routed to the app."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
import responses
from sqlalchemy import select

from adapters.contract import Adapter, Connection
from adapters.sandbox import MANIFEST
from connector.models import SandboxCard
from connector.sandbox import board
from connector.sandbox.seed import seed


@pytest.fixture
def settings(settings):
    """The shared test settings, with the sandbox on (tests/conftest.py leaves it off)."""
    return replace(settings, sandbox=True)


@pytest.fixture
def seeded(services):
    """The seeded sandbox: its installation's id, secret, api key and cards by first name."""
    with services.db.session() as db:
        result = seed(db, services.keyring, services.settings.public_base_url)
        installation = board.installation_of(db)
        cards = {c.first_name: c.id for c in db.scalars(select(SandboxCard))}
        return {
            "id": installation.id, "public_id": installation.public_id,
            "secret": services.keyring.decrypt(installation.webhook_secret_encrypted),
            "api_key": services.keyring.decrypt_json(installation.credentials_encrypted)["api_key"],
            "cards": cards, "admin_password": result.admin_password,
        }


def csrf_of(client, path="/sandbox") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def move(client, card_id: int, column: str, **extra):
    data = {"column": column, "csrf_token": csrf_of(client), **extra}
    return client.post(f"/sandbox/cards/{card_id}/move", data=data)


@pytest.fixture
def recorded_jobs(services, monkeypatch):
    """The sandbox's webhook jobs (moves and deletions), recorded instead of run: (path, args)."""
    jobs, run = [], services.queue.enqueue

    def enqueue(path, *args):
        if path.startswith("jobs.sandbox."):
            jobs.append((path, args))
        else:
            run(path, *args)

    monkeypatch.setattr(services.queue, "enqueue", enqueue)
    return jobs


@pytest.fixture
def routed(client, services):
    """Outbound HTTP to PUBLIC_BASE_URL handed to the Flask app, as if it went over the network.

    Anything else fails the test. `routed.calls` keeps every request that went through.
    """
    base = services.settings.public_base_url

    def forward(request):
        parts = urlsplit(request.url)
        response = client.open(parts.path + (f"?{parts.query}" if parts.query else ""),
                               method=request.method, data=request.body,
                               headers=dict(request.headers))
        return response.status_code, dict(response.headers), response.get_data()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "POST", "PUT"):
            mock.add_callback(method, re.compile(re.escape(base) + r"/.*"), callback=forward)
        yield mock


def verified_post(seeded, send, args) -> tuple[bytes, dict, Adapter]:
    """What the job `send(*args)` posts to the seeded installation's webhook URL: body and
    headers, their signature verified by the sandbox adapter, which is returned to read them."""
    url = f"https://connector.test/webhooks/sandbox/{seeded['public_id']}"
    with responses.RequestsMock() as mock:
        mock.post(url, json={"status": "accepted"})
        send(*args)
        (call,) = mock.calls
    body, headers = call.request.body, call.request.headers
    adapter = MANIFEST.build(Connection(webhook_secret=seeded["secret"], credentials={}))
    adapter.verify(body, headers)
    return body, headers, adapter
