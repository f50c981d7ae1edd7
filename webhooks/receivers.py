"""Which installation a webhook URL names, with its adapter ready, kept for a few seconds."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.contract import Adapter
from adapters.errors import SignatureError
from config import Settings
from connector.crypto import InvalidToken, Keyring
from connector.installations import adapter_for
from connector.models import Installation, utcnow

log = logging.getLogger("connector.webhooks")


def installation_at(session: Session, ats: str, public_id: str) -> Installation | None:
    """The installation behind a webhook URL; the ATS key must match too."""
    return session.scalar(
        select(Installation).where(Installation.public_id == public_id, Installation.ats == ats))


@dataclass(frozen=True)
class Receiver:
    """What the webhook view needs of an installation: its id and its adapter, secret decrypted.

    After a secret rotation, `previous` holds an adapter with the old secret until
    `previous_until`, so deliveries the ATS still signs with it are accepted until then.
    """

    installation_id: int
    adapter: Adapter
    previous: Adapter | None = None
    previous_until: datetime | None = None
    # The stored (encrypted) secret this receiver was built from: a delivery is kept only while
    # the installation still has it, so a rotation in any process takes effect at once.
    sealed: str = ""

    def verify(self, body: bytes, headers: Mapping[str, str]) -> Adapter:
        """The adapter whose secret signed the body; raise SignatureError when none did."""
        try:
            self.adapter.verify(body, headers)
            return self.adapter
        except SignatureError as refused:
            # Only a delivery the current secret refuses pays for the second check.
            if self.previous is None or utcnow() >= self.previous_until:
                raise
            try:
                self.previous.verify(body, headers)
            except SignatureError:
                raise refused from None
            return self.previous


def receiver_for(installation: Installation, keyring: Keyring, settings: Settings) -> Receiver:
    """The installation's receiver: its adapter, and the previous secret's while it is valid."""
    adapter = adapter_for(installation, keyring, settings)
    current = Receiver(installation.id, adapter, sealed=installation.webhook_secret_encrypted)
    until = installation.previous_secret_valid_until
    if installation.previous_webhook_secret_encrypted is None or until is None or until <= utcnow():
        return current
    try:
        secret = keyring.decrypt(installation.previous_webhook_secret_encrypted)
    except InvalidToken:  # the current secret still works; only the grace is lost
        log.warning("installation.previous-secret-unreadable installation=%s",
                    installation.public_id)
        return current
    previous = adapter.manifest.build(
        dataclasses.replace(adapter.connection, webhook_secret=secret), adapter.tools)
    return dataclasses.replace(current, previous=previous, previous_until=until)


class ReceiverCache:
    """Installations behind webhook URLs, kept for a few seconds.

    The webhook view runs for every delivery; looking the installation up and decrypting its
    secret each time was a third of its cost. A changed secret takes effect at once all the
    same: the view stores a delivery only while the secret it verified with is still the
    installation's (see `Receiver.sealed`), and otherwise looks the installation up again.
    """

    def __init__(self, ttl: float = 30.0, size: int = 1024):
        self.ttl, self.size = ttl, size
        self._items: OrderedDict[tuple[str, str], tuple[float, Receiver]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, db, keyring: Keyring, settings: Settings, ats: str,
            public_id: str) -> Receiver | None:
        key, now = (ats, public_id), time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit and hit[0] > now:
                self._items.move_to_end(key)
                return hit[1]
        with db.session() as session:
            installation = installation_at(session, ats, public_id)
            if installation is None:
                return None  # misses are not kept: a new installation works at once
            receiver = receiver_for(installation, keyring, settings)
        with self._lock:
            self._items[key] = (now + self.ttl, receiver)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return receiver

    def forget(self, ats: str, public_id: str) -> None:
        with self._lock:
            self._items.pop((ats, public_id), None)
