"""What the contract suite needs of each ATS's tests folder: tests/adapters/<key>/kit.py.

A kit names the installation's test credentials, the ATS's API fake (answering as the vendor
documents) behind a small common interface, and whether the ATS signs a timestamp. The suite
finds a registered ATS's kit by its key; a kit for an ATS that is not registered is an error.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import responses

from adapters.manifest import Manifest


class FakeAts(Protocol):
    """The fake's side of the contract suite: what it holds, and a recruiter's own moves."""

    def add_application(self, application_id: str, candidate_id: str, stage_id: str) -> None:
        """An application of this candidate, at this stage of its job."""

    def notes_on(self, application_id: str, candidate_id: str) -> list[str]:
        """The bodies of the notes the ATS holds for this application or candidate."""

    def stage(self, application_id: str) -> str:
        """The stage the application is in now."""

    def set_stage(self, application_id: str, stage_id: str) -> None:
        """Move the application as a recruiter would, without the connector."""


@dataclass(frozen=True)
class Kit:
    credentials: Mapping[str, str]
    api_base_url: str | None
    fake: Callable[[responses.RequestsMock], FakeAts]
    fixtures: Path  # <event>.json, each with <event>.event.json: the action and Event it reads
    signs_timestamp: bool
    # An application for the outbound tests: its ids, the stage it starts in, two others.
    application: Mapping[str, str] = field(default_factory=lambda: {
        "application_id": "1001", "candidate_id": "2002", "stage": "3003", "target": "3004",
        "elsewhere": "3005"})


def kit_for(manifest: Manifest) -> Kit:
    """The registered ATS's kit, from its mirrored tests folder."""
    return importlib.import_module(f"tests.adapters.{manifest.key}.kit").KIT
