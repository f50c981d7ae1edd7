"""Settings from the environment: the only module that reads os.environ."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"
SMTP_SCHEMES = ("smtp", "smtps", "smtp+starttls")
MIN_METRICS_TOKEN_LENGTH = 16
_HOST_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


class SettingsError(Exception):
    """The environment cannot run the service; `problems` names each bad setting."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment."""

    env: str = "development"
    database_url: str = ""
    redis_url: str | None = None
    secret_keys: tuple[str, ...] = ()
    public_base_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    mail_from: str = "Interviews <interviews@localhost>"
    data_dir: Path = DEFAULT_DATA_DIR
    log_level: str = "INFO"
    recordings_url: str = ""
    s3: dict = field(default_factory=dict)  # endpoint_url, region_name, access keys
    trusted_proxies: int = 0  # proxies in front that append to X-Forwarded-For; -1: malformed
    metrics_token: str | None = None  # lets a scraper off this machine read /metrics
    # The built-in sandbox ATS at /sandbox (a board, its API, a mailbox); None: SANDBOX malformed.
    sandbox: bool | None = False
    # ATS API calls to loopback and private addresses (local fakes, the sandbox); None: malformed.
    allow_private_ats_hosts: bool | None = False
    # Host names, beyond each ATS's own, that installations may call in production: where the
    # ATSs using the generic (Standard Webhooks) adapter serve their API. "!" marks a bad entry.
    ats_allowed_hosts: tuple[str, ...] = ()

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def recordings(self) -> str:
        """Where recordings go: RECORDINGS_URL, else a directory under the data directory."""
        return self.recordings_url or f"file://{Path(self.data_dir).resolve() / 'recordings'}"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment; in production refuse anything missing or insecure."""
    env = dict(os.environ if environ is None else environ)
    mode = env.get("CONNECTOR_ENV", "development").strip().lower()
    data_dir = Path(env.get("CONNECTOR_DATA_DIR") or DEFAULT_DATA_DIR)
    settings = Settings(
        env=mode,
        database_url=env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'connector.db'}",
        redis_url=env.get("REDIS_URL") or None,
        secret_keys=_split_keys(env.get("SECRET_KEYS", "")),
        public_base_url=(env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
        smtp_url=env.get("SMTP_URL") or None,
        mail_from=env.get("MAIL_FROM") or Settings.mail_from,
        data_dir=data_dir,
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        recordings_url=env.get("RECORDINGS_URL", ""),
        s3={k: v for k, v in {
            "endpoint_url": env.get("S3_ENDPOINT_URL"),
            "region_name": env.get("S3_REGION"),
            "aws_access_key_id": env.get("S3_ACCESS_KEY_ID"),
            "aws_secret_access_key": env.get("S3_SECRET_ACCESS_KEY"),
        }.items() if v},
        trusted_proxies=_count(env.get("TRUSTED_PROXIES", "")),
        metrics_token=env.get("METRICS_TOKEN", "").strip() or None,
        sandbox=_switch(env.get("SANDBOX", ""), default=mode != "production"),
        allow_private_ats_hosts=_switch(env.get("ALLOW_PRIVATE_ATS_HOSTS", ""), default=False),
        ats_allowed_hosts=_hosts(env.get("ATS_ALLOWED_HOSTS", "")),
    )
    problems = check_settings(settings, env)
    if problems:
        raise SettingsError(problems)
    return settings


def _hosts(value: str) -> tuple[str, ...]:
    """Comma-separated host names, lower-cased; an entry that is not a host name becomes "!"."""
    hosts = []
    for entry in (e.strip().lower() for e in value.split(",")):
        if entry:
            hosts.append(entry if _HOST_NAME.fullmatch(entry) else "!")
    return tuple(hosts)


def check_settings(settings: Settings, env: dict[str, str]) -> list[str]:
    """Name every setting that is malformed, and in production every one missing or insecure."""
    problems = [f"SECRET_KEYS: {p}" for p in _key_problems(settings.secret_keys)]
    if settings.smtp_url:
        problems += [f"SMTP_URL: {p}" for p in _smtp_problems(settings.smtp_url, settings.production)]
    if urlsplit(settings.recordings).scheme not in ("file", "s3"):
        problems.append("RECORDINGS_URL: must be file:///path or s3://bucket/prefix")
    if settings.trusted_proxies < 0:
        problems.append("TRUSTED_PROXIES: must be a whole number, 0 or more")
    if settings.metrics_token and len(settings.metrics_token) < MIN_METRICS_TOKEN_LENGTH:
        problems.append(f"METRICS_TOKEN: at least {MIN_METRICS_TOKEN_LENGTH} characters")
    if "!" in settings.ats_allowed_hosts:
        problems.append("ATS_ALLOWED_HOSTS: host names separated by commas, such as "
                        "ats.example.com (no scheme, port or path)")
    if settings.env not in ("development", "production", "test"):
        problems.append("CONNECTOR_ENV: must be development, production or test")
    if settings.sandbox is None:
        problems.append("SANDBOX: must be on or off (1/0, true/false, yes/no)")
    if settings.allow_private_ats_hosts is None:
        problems.append("ALLOW_PRIVATE_ATS_HOSTS: must be on or off (1/0, true/false, yes/no)")
    if not settings.production:
        return problems
    if settings.sandbox:
        # Its board and mailbox answer anyone who finds them: a local demo, never a live service.
        problems.append("SANDBOX: the built-in sandbox ATS is for development; turn it off")
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEYS", "PUBLIC_BASE_URL", "SMTP_URL",
                 "MAIL_FROM", "RECORDINGS_URL"):
        if not env.get(name, "").strip():
            problems.append(f"{name}: required in production")
    if settings.database_url.startswith("sqlite") and env.get("DATABASE_URL"):
        problems.append("DATABASE_URL: SQLite is for one machine; use PostgreSQL in production")
    if env.get("PUBLIC_BASE_URL") and urlsplit(settings.public_base_url).scheme != "https":
        problems.append("PUBLIC_BASE_URL: must be https:// in production (candidate links)")
    return problems


def _split_keys(raw: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in raw.split(",") if k.strip())


def _count(raw: str) -> int:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() else (0 if not raw else -1)


def _switch(raw: str, default: bool) -> bool | None:
    """An on/off variable: empty means the default, anything unrecognised None."""
    value = raw.strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return None


def _key_problems(keys: tuple[str, ...]) -> list[str]:
    problems = []
    for index, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(f"key {index} is not a Fernet key (32 url-safe base64 bytes)")
    return problems


def _smtp_problems(url: str, production: bool) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme not in SMTP_SCHEMES:
        return [f"scheme must be one of {', '.join(s + '://' for s in SMTP_SCHEMES)}"]
    if not parts.hostname:
        return ["a host is required"]
    if production and parts.scheme == "smtp" and parts.password:
        # A password over plain SMTP travels in clear text.
        return ["credentials need smtps:// or smtp+starttls:// in production"]
    return []
