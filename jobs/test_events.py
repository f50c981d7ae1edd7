"""A signed test event, POSTed over HTTP to an installation's own webhook URL.

The admin's "Send a test event" button enqueues `send_test_event`, so the web request never
calls itself. The event is the ATS folder's sample.json (capability `test_event`): it goes the
whole way a real one does (the public URL, signature check, the inbox, the delivery job) and
stops at the stage rules, since it names a stage no rule holds, for an application that does
not exist and a candidate who cannot be e-mailed, so nothing is ever written back to the ATS.
"""

from __future__ import annotations

import logging

import requests

from adapters import get_adapter
from connector.installations import adapter_for, webhook_url
from connector.interviews import matching_rule
from connector.models import Installation, utcnow
from connector.services import current

log = logging.getLogger("connector.jobs")

TIMEOUT = (5, 20)  # connect, read: seconds


def sample_event(ats: str, token: str) -> tuple[bytes, dict[str, str]] | None:
    """The ATS's sample delivery, unsigned; None for an ATS without one."""
    manifest = get_adapter(ats)
    return manifest.sample(token) if manifest else None


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
        adapter = adapter_for(installation, services.keyring, services.settings)
        _action, event = adapter.read(*sample)
        if event is None:
            return _record(services, installation_id, token,
                           error="the sample event names no event the connector acts on")
        if matching_rule(installation, event.stage_id, event.stage_name) is not None:
            return _record(services, installation_id, token,
                           error="a trigger stage matches the test stage; nothing was sent")
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
