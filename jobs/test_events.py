"""A signed test event, POSTed over HTTP to an installation's own webhook URL.

The admin's "Send a test event" button enqueues `send_test_event`, so the web request never
calls itself. The event goes the whole way a real one does (the public URL, signature check,
the inbox, the delivery job) and stops at the stage rules: it names a stage no rule can hold,
for an application that does not exist, so nothing is ever written back to the ATS.

Greenhouse: a `candidate_stage_change` rather than a `ping`. A ping is stored as ignored and
never reaches the delivery job (its shape is not documented either), so it would prove less.
The sandbox (and any ATS signing with Standard Webhooks): an `application.stage_changed`.
"""

from __future__ import annotations

import json
import logging

import requests

from connector.installations import adapter_for, webhook_url
from connector.interviews import matching_rule
from connector.models import Installation, utcnow
from connector.services import current

log = logging.getLogger("connector.jobs")

TEST_APPLICATION_ID = "connector-test-application"
TEST_STAGE_ID = "connector-test-stage"
TEST_STAGE_NAME = "Connector test event (not a real stage)"
# Greenhouse ids are integers (every id in its webhook docs' examples): 0, which we assume it
# never gives, stands for the application, candidate, stage and job of its test event.
GREENHOUSE_TEST_ID = 0
TIMEOUT = (5, 20)  # connect, read: seconds


def greenhouse_sample(token: str) -> tuple[bytes, dict[str, str]]:
    """A stage change shaped like Greenhouse's documented one, for a clearly fake application."""
    body = {"action": "candidate_stage_change", "payload": {"application": {
        "id": GREENHOUSE_TEST_ID,
        "url": None,
        "last_activity_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "current_stage": {"id": GREENHOUSE_TEST_ID, "name": TEST_STAGE_NAME},
        # No address and can_email false: even a stage rule that matched could not invite.
        "candidate": {"id": GREENHOUSE_TEST_ID, "first_name": "Test",
                      "last_name": "Event", "url": None, "can_email": False,
                      "email_addresses": []},
        "jobs": [{"id": GREENHOUSE_TEST_ID, "name": "Connector test event"}],
    }}}
    return json.dumps(body).encode(), {"Greenhouse-Event-ID": f"connector-test-{token}"}


def sandbox_sample(token: str) -> tuple[bytes, dict[str, str]]:
    """A Standard Webhooks application.stage_changed for a clearly fake application.

    Signing adds the webhook-id (a fresh `msg_…`) with the signature made over it.
    """
    now = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"type": "application.stage_changed", "timestamp": now, "data": {
        "application": {"id": TEST_APPLICATION_ID, "url": None},
        # No address: even a stage rule that matched could not invite.
        "candidate": {"id": "connector-test-candidate", "first_name": "Test",
                      "last_name": "Event", "email": None},
        "job": {"id": "connector-test-job", "title": "Connector test event"},
        "stage": {"id": TEST_STAGE_ID, "name": TEST_STAGE_NAME},
        "occurred_at": now,
    }}
    return json.dumps(body).encode(), {}


# ATS key -> builder of (body, headers without the signature). An ATS missing here has no
# test-event button.
SAMPLES = {"greenhouse": greenhouse_sample, "sandbox": sandbox_sample}


def sample_event(ats: str, token: str) -> tuple[bytes, dict[str, str]] | None:
    builder = SAMPLES.get(ats)
    return builder(token) if builder else None


def send_test_event(installation_id: int, token: str) -> None:
    """Sign the sample with the installation's secret and POST it to its webhook URL."""
    services = current()
    with services.db.session() as session:
        installation = session.get(Installation, installation_id)
        if installation is None:
            return
        sample = sample_event(installation.ats, token)
        if sample is None:
            return _record(services, installation_id, token, error="no test event for this ATS")
        if any(matching_rule(installation, stage, TEST_STAGE_NAME) is not None
               for stage in (TEST_STAGE_ID, str(GREENHOUSE_TEST_ID))):
            return _record(services, installation_id, token,
                           error="a trigger stage matches the test stage; nothing was sent")
        adapter = adapter_for(installation, services.keyring, services.settings.production)
        url = webhook_url(services.settings.public_base_url, installation)
    body, headers = sample
    headers.update(adapter.sign(body, adapter.connection.webhook_secret))
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT,
                                 allow_redirects=False)
    except requests.RequestException as exc:
        log.warning("test-event.unreachable installation=%s error=%s", installation_id,
                    type(exc).__name__)
        return _record(services, installation_id, token,
                       error=f"could not reach {url} ({type(exc).__name__})")
    log.info("test-event.sent installation=%s status=%s", installation_id, response.status_code)
    if response.status_code != 200:
        return _record(services, installation_id, token, http_status=response.status_code,
                       error=_answer(response))
    _record(services, installation_id, token, http_status=200, delivery_id=_delivery(response))


def _answer(response: requests.Response) -> str:
    """What the webhook URL said when it refused: its machine-readable reason if it gave one."""
    try:
        reason = response.json().get("error")
    except (ValueError, AttributeError):
        reason = None
    return f"the webhook URL answered {response.status_code}" + (f" ({reason})" if reason else "")


def _delivery(response: requests.Response) -> int | None:
    """The inbox row the webhook view stored, as its answer names it."""
    try:
        delivery = response.json().get("delivery")
    except (ValueError, AttributeError):
        return None
    return delivery if isinstance(delivery, int) else None


def _record(services, installation_id: int, token: str, http_status: int | None = None,
            error: str | None = None, delivery_id: int | None = None) -> None:
    """Keep the last test's result on the installation, for the page that polls it."""
    with services.db.session() as session:
        installation = session.get(Installation, installation_id)
        if installation is None:
            return
        result = {"token": token, "http_status": http_status, "error": error,
                  "delivery_id": delivery_id, "at": utcnow().isoformat()}
        # A new dict: the JSON column does not see changes made inside the old one.
        installation.options = {**(installation.options or {}), "last_test_event": result}
