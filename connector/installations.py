"""Installations: create one, and turn one into its ATS adapter."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from adapters import get_adapter
from adapters.base import Adapter, Connection
from adapters.http import HostNotAllowed, check_base_url
from connector.crypto import InvalidToken, Keyring, new_public_id
from connector.models import Installation, InterviewTemplate, Organization, StageRule, utcnow
from webhooks.errors import SignatureError

log = logging.getLogger("connector.installations")
MAX_GRACE_HOURS = 24 * 7


def adapter_for(installation: Installation, keyring: Keyring, strict_hosts: bool) -> Adapter:
    """The installation's adapter with its secrets decrypted."""
    adapter_cls = get_adapter(installation.ats)
    if adapter_cls is None:
        raise LookupError(f"no adapter {installation.ats!r}")
    connection = Connection(
        webhook_secret=keyring.decrypt(installation.webhook_secret_encrypted),
        credentials=keyring.decrypt_json(installation.credentials_encrypted),
        api_base_url=installation.api_base_url,
        strict_hosts=strict_hosts,
        options=dict(installation.options or {}),
    )
    return adapter_cls(connection)


def find_installation(session: Session, ats: str, public_id: str) -> Installation | None:
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


def receiver_for(installation: Installation, keyring: Keyring, strict_hosts: bool) -> Receiver:
    """The installation's receiver: its adapter, and the previous secret's while it is valid."""
    adapter = adapter_for(installation, keyring, strict_hosts)
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
    previous = type(adapter)(dataclasses.replace(adapter.connection, webhook_secret=secret))
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

    def get(self, db, keyring: Keyring, strict_hosts: bool, ats: str,
            public_id: str) -> Receiver | None:
        key, now = (ats, public_id), time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit and hit[0] > now:
                self._items.move_to_end(key)
                return hit[1]
        with db.session() as session:
            installation = find_installation(session, ats, public_id)
            if installation is None:
                return None  # misses are not kept: a new installation works at once
            receiver = receiver_for(installation, keyring, strict_hosts)
        with self._lock:
            self._items[key] = (now + self.ttl, receiver)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return receiver

    def forget(self, ats: str, public_id: str) -> None:
        with self._lock:
            self._items.pop((ats, public_id), None)


class InstallError(ValueError):
    """The install request cannot be carried out; the message says why."""


def create_installation(session: Session, keyring: Keyring, *, ats: str, organization: str,
                        name: str, trigger_stages: list[str], template_id: int | None,
                        api_base_url: str | None, credentials: dict[str, str],
                        strict_hosts: bool, require_stages: bool = True,
                        ) -> tuple[Installation, str]:
    """Create an installation (and its organization on first use); return it and its secret.

    The admin wizard passes require_stages=False: it creates the installation at the
    credentials step and asks for the trigger stages afterwards.
    """
    adapter_cls = get_adapter(ats)
    if adapter_cls is None:
        raise InstallError(f"unknown ATS {ats!r}")
    problems = adapter_cls.check_credentials(credentials)
    stages = [s.strip() for s in trigger_stages if s.strip()]
    if not stages and require_stages:
        problems.append("at least one trigger stage is required")
    if api_base_url:
        try:
            check_base_url(api_base_url, adapter_cls.allowed_hosts, strict_hosts)
        except HostNotAllowed as exc:
            problems.append(f"api base URL: {exc}")
    if problems:
        raise InstallError("; ".join(problems))
    org = _organization(session, organization)
    if template_id is not None and _template(session, org, template_id) is None:
        raise InstallError(f"no template {template_id} for organization {organization!r}")
    if session.scalar(select(Installation.id).where(
            Installation.organization_id == org.id, Installation.name == name)):
        raise InstallError(f"organization {organization!r} already has an installation {name!r}")
    secret = adapter_cls.new_webhook_secret()
    installation = Installation(
        public_id=new_public_id("inst"), organization=org, ats=ats, name=name,
        credentials_encrypted=keyring.encrypt_json(credentials),
        webhook_secret_encrypted=keyring.encrypt(secret), api_base_url=api_base_url,
        stage_rules=[StageRule(stage=s, template_id=template_id) for s in stages],
    )
    session.add(installation)
    session.flush()
    return installation, secret


def _organization(session: Session, name: str) -> Organization:
    name = name.strip()
    if not name:
        raise InstallError("an organization name is required")
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        org = Organization(name=name)
        session.add(org)
        session.flush()
    return org


def _template(session: Session, org: Organization, template_id: int) -> InterviewTemplate | None:
    """A template the organization may use: its own, or a built-in one."""
    return session.scalar(select(InterviewTemplate).where(
        InterviewTemplate.id == template_id,
        or_(InterviewTemplate.organization_id == org.id, InterviewTemplate.is_builtin)))


def rotate_webhook_secret(session: Session, keyring: Keyring, installation: Installation,
                          grace_hours: int = 24, now: datetime | None = None) -> str:
    """Give the installation a new webhook secret; the current one still verifies for the grace.

    A secret rotated again within its grace replaces the older previous one: only the last two
    secrets verify. Returns the new secret, which is shown once and never again.
    """
    if isinstance(grace_hours, bool) or not isinstance(grace_hours, int) or not (
            0 <= grace_hours <= MAX_GRACE_HOURS):
        raise InstallError(f"the grace period is 0 to {MAX_GRACE_HOURS} hours")
    adapter_cls = get_adapter(installation.ats)
    if adapter_cls is None:
        raise InstallError(f"no adapter {installation.ats!r}")
    secret = adapter_cls.new_webhook_secret()
    if grace_hours:
        installation.previous_webhook_secret_encrypted = installation.webhook_secret_encrypted
        installation.previous_secret_valid_until = (now or utcnow()) + timedelta(hours=grace_hours)
    else:
        installation.previous_webhook_secret_encrypted = None
        installation.previous_secret_valid_until = None
    installation.webhook_secret_encrypted = keyring.encrypt(secret)
    session.flush()
    return secret


def webhook_url(base_url: str, installation: Installation) -> str:
    return f"{base_url}/webhooks/{installation.ats}/{installation.public_id}"
