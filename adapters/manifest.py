"""What an ATS folder declares about itself: the core reads this and never names an ATS."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import Schema, ValidationError, validate

from adapters.contract import Adapter, Connection, Tools

# What an adapter may offer beyond receiving webhooks; the core asks before it uses each one.
CAPABILITIES = frozenset({
    "notes",        # write a note on the candidate's profile
    "find_note",    # find a note by its marker, so a retry never writes it twice
    "result_slot",  # the ATS has a place of its own for the score
    "move",         # read an application's stage and move it
    "list_stages",  # list the pipeline's stages for the wizard
    "test_event",   # a sample.json the wizard can send as a test event
    "handshake",    # answers a subscription check before signatures exist
    "enrich",       # completes thin events (ids only) through the API
    "partner",      # the ATS's own assessment-partner slot
})


@dataclass(frozen=True)
class CredentialField:
    """One credential the wizard asks for."""

    key: str
    label: str
    help: str = ""
    secret: bool = False
    required: bool = True


class NoOptions(Schema):
    """An ATS whose notes and results need no choices."""


@dataclass(frozen=True)
class Manifest:
    """One ATS: its names, credentials, options, capabilities and the adapter that does the work."""

    key: str  # the folder, the registry entry, the URL segment, the fixture folder, the log prefix
    name: str
    adapter: type[Adapter]
    folder: Path  # adapters/<key>/: setup.html and sample.json live there
    credentials: tuple[CredentialField, ...] = ()
    options: type[Schema] = NoOptions  # the ATS's own choices; the API, CLI and wizard read it
    capabilities: frozenset[str] = frozenset()
    allowed_hosts: tuple[str, ...] = ()  # host suffixes its API lives on, for production
    default_base_url: str | None = None
    # Requests per seconds, per installation: the default until the ATS reports its own limit.
    rate_limit: tuple[int, float] = (50, 10)
    _schema: Schema = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        unknown = set(self.capabilities) - CAPABILITIES
        if unknown:
            raise ValueError(f"{self.key}: unknown capabilities {sorted(unknown)}")
        if self.folder.name != self.key:
            raise ValueError(f"{self.key}: the folder must be named after the key")
        object.__setattr__(self, "_schema", self.options())

    @property
    def credential_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.credentials)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def build(self, connection: Connection, tools: Tools | None = None) -> Adapter:
        """The adapter for one installation: the one place adapters are made."""
        return self.adapter(self, connection, tools)

    def check_credentials(self, credentials: Mapping[str, str]) -> list[str]:
        return self.adapter.check_credentials(credentials)

    def new_webhook_secret(self) -> str:
        return self.adapter.new_webhook_secret()

    def load_options(self, data: Mapping) -> dict:
        """The ATS's options, validated; raises marshmallow's ValidationError."""
        return self._schema.load(dict(data))

    def option_fields(self) -> list[dict]:
        """The options as the wizard shows them: key, label, help and choices (if any)."""
        shown = []
        for key, item in self._schema.fields.items():
            choices = next((v.choices for v in _validators(item)
                            if isinstance(v, validate.OneOf)), None)
            shown.append({"key": key, "label": item.metadata.get("label", key),
                          "help": item.metadata.get("description", ""),
                          "choices": list(choices) if choices else None,
                          "default": item.load_default if choices else None})
        return shown

    def sample(self, token: str) -> tuple[bytes, dict[str, str]] | None:
        """The wizard's test event (unsigned), or None without capability `test_event`."""
        if not self.can("test_event"):
            return None
        template = json.loads((self.folder / "sample.json").read_text())
        return self.adapter.sample(template, token)

    def setup_steps(self) -> str | None:
        """The folder's setup.html (the ATS's own steps), if it has one."""
        path = self.folder / "setup.html"
        return path.read_text() if path.exists() else None


def _validators(item) -> list:
    found = item.validate
    if found is None:
        return []
    return list(found) if isinstance(found, (list, tuple)) else [found]


__all__ = ["CAPABILITIES", "CredentialField", "Manifest", "NoOptions", "ValidationError"]
