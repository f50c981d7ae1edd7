"""Greenhouse's kit for the contract suite: the Harvest v3 fake of tests/fakes/greenhouse.py."""

from __future__ import annotations

from pathlib import Path

import responses

from tests.adapters.kit import Kit
from tests.fakes.greenhouse import CREDENTIALS, FakeGreenhouse


class KitGreenhouse(FakeGreenhouse):
    """The Harvest fake seen through the suite's common interface."""

    def add_application(self, application_id: str, candidate_id: str, stage_id: str) -> None:
        super().add_application(int(application_id), int(stage_id))
        self.applications[int(application_id)]["candidate_id"] = int(candidate_id)

    def notes_on(self, application_id: str, candidate_id: str) -> list[str]:
        return [n["body"] for n in self.notes if n["candidate_id"] == int(candidate_id)]

    def stage(self, application_id: str) -> str:
        return str(self.applications[int(application_id)]["job_interview_stage_id"])

    def set_stage(self, application_id: str, stage_id: str) -> None:
        found = self.applications[int(application_id)]
        found["job_interview_stage_id"] = found["stage_id"] = int(stage_id)


def _fake(mock: responses.RequestsMock) -> KitGreenhouse:
    return KitGreenhouse(mock)


KIT = Kit(credentials=CREDENTIALS, api_base_url=None, fake=_fake,
          fixtures=Path(__file__).parent / "fixtures", signs_timestamp=False)
