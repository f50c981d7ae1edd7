"""Installations: create one, and turn one into its ATS adapter."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from marshmallow import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from adapters import get_adapter
from adapters.contract import Adapter, Connection, Tools
from adapters.http import HostNotAllowed, check_base_url
from adapters.manifest import Manifest
from connector.crypto import InvalidToken, Keyring, new_public_id
from connector.models import (
    Installation, InstallationStatus, InterviewTemplate, Organization, StageRule, utcnow,
)

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger("connector.installations")
MAX_GRACE_HOURS = 24 * 7


def adapter_for(installation: Installation, keyring: Keyring, settings: Settings,
                tools: Tools | None = None) -> Adapter:
    """The installation's adapter with its secrets decrypted."""
    manifest = get_adapter(installation.ats)
    if manifest is None:
        raise LookupError(f"no adapter {installation.ats!r}")
    connection = Connection(
        webhook_secret=keyring.decrypt(installation.webhook_secret_encrypted),
        credentials=keyring.decrypt_json(installation.credentials_encrypted),
        api_base_url=installation.api_base_url,
        strict_hosts=settings.production,
        extra_hosts=settings.ats_allowed_hosts,
        options=dict(installation.options or {}),
    )
    return manifest.build(connection, tools)


def base_url_problem(manifest: Manifest, api_base_url: str, strict_hosts: bool,
                     extra_hosts: tuple[str, ...] = ()) -> str | None:
    """Why an installation of this ATS may not call `api_base_url`, or None."""
    try:
        check_base_url(api_base_url, manifest.allowed_hosts, strict_hosts, extra_hosts)
    except HostNotAllowed as exc:
        if not strict_hosts:
            return exc.reason
        listed = ", ".join(extra_hosts) or "none yet"
        return (f"{exc.reason}. In production an installation may call {manifest.name}'s own "
                f"hosts and the hosts the operator lists in ATS_ALLOWED_HOSTS ({listed})")
    return None


class InstallError(ValueError):
    """The install request cannot be carried out; the message says why."""


def create_installation(session: Session, keyring: Keyring, *, ats: str, organization: str,
                        name: str, trigger_stages: list[str], template_id: int | None,
                        api_base_url: str | None, credentials: dict[str, str],
                        strict_hosts: bool, extra_hosts: tuple[str, ...] = (),
                        require_stages: bool = True, options: dict | None = None,
                        ) -> tuple[Installation, str]:
    """Create an installation (and its organization on first use); return it and its secret.

    The admin wizard passes require_stages=False: it creates the installation at the
    credentials step and asks for the trigger stages afterwards.
    """
    manifest = get_adapter(ats)
    if manifest is None:
        raise InstallError(f"unknown ATS {ats!r}")
    problems = manifest.check_credentials(credentials)
    stages = [s.strip() for s in trigger_stages if s.strip()]
    if not stages and require_stages:
        problems.append("at least one trigger stage is required")
    problem = api_base_url and base_url_problem(manifest, api_base_url, strict_hosts,
                                                extra_hosts)
    if problem:
        problems.append(f"api base URL: {problem}")
    chosen = _options(manifest, options or {}, problems)
    if problems:
        raise InstallError("; ".join(problems))
    org = _organization(session, organization)
    if template_id is not None and _template(session, org, template_id) is None:
        raise InstallError(f"no template {template_id} for organization {organization!r}")
    if session.scalar(select(Installation.id).where(
            Installation.organization_id == org.id, Installation.name == name)):
        raise InstallError(f"organization {organization!r} already has an installation {name!r}")
    secret = manifest.new_webhook_secret()
    installation = Installation(
        public_id=new_public_id("inst"), organization=org, ats=ats, name=name,
        credentials_encrypted=keyring.encrypt_json(credentials),
        webhook_secret_encrypted=keyring.encrypt(secret), api_base_url=api_base_url,
        stage_rules=[StageRule(stage=s, template_id=template_id) for s in stages],
        options=chosen,
    )
    session.add(installation)
    session.flush()
    return installation, secret


def _options(manifest: Manifest, given: dict, problems: list[str]) -> dict:
    """The ATS's own options as its manifest's schema loads them; each refusal named."""
    if not given:
        return {}
    try:
        loaded = manifest.load_options(given)
    except ValidationError as exc:
        problems += [f"option {key}: {' '.join(map(str, messages))}"
                     for key, messages in exc.normalized_messages().items()]
        return {}
    return {key: value for key, value in loaded.items() if value is not None}


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
    manifest = get_adapter(installation.ats)
    if manifest is None:
        raise InstallError(f"no adapter {installation.ats!r}")
    secret = manifest.new_webhook_secret()
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


def flag_unusable_credentials(session: Session, keyring: Keyring) -> list[str]:
    """Mark each installation whose stored credentials its ATS no longer takes as needing
    attention, saying what to enter (e.g. a retired Greenhouse API key); their public ids."""
    flagged = []
    for installation in session.scalars(select(Installation)):
        manifest = get_adapter(installation.ats)
        if manifest is None or installation.status is InstallationStatus.NEEDS_ATTENTION:
            continue
        problems = manifest.check_credentials(keyring.decrypt_json(
            installation.credentials_encrypted))
        if problems:
            installation.status = InstallationStatus.NEEDS_ATTENTION
            installation.attention_reason = ("The API credentials no longer work: "
                                             + "; ".join(problems) + ".")
            flagged.append(installation.public_id)
    return flagged
