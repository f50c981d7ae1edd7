"""The sandbox's (Standard Webhooks + REST contract) kit for the contract suite."""

from __future__ import annotations

import json
import re
from pathlib import Path

import responses

from tests.adapters.kit import Kit

BASE = "http://ats.test/sandbox/api"
KEY = "key-123"


class FakeRestAts:
    """The REST contract of adapters/sandbox/client.py, as the sandbox board serves it."""

    def __init__(self, mock: responses.RequestsMock):
        self.applications: dict[str, dict] = {}
        path = re.escape(BASE) + r"/applications/([^/]+)"
        mock.add_callback(responses.GET, re.compile(path + "$"), callback=self._get)
        mock.add_callback(responses.GET, re.compile(path + "/notes$"), callback=self._notes)
        mock.add_callback(responses.POST, re.compile(path + "/notes$"), callback=self._note)
        mock.add_callback(responses.PUT, re.compile(path + "/fields$"), callback=self._fields)
        mock.add_callback(responses.POST, re.compile(path + "/move$"), callback=self._move)

    def add_application(self, application_id: str, candidate_id: str, stage_id: str) -> None:
        self.applications[application_id] = {"stage_id": stage_id, "notes": [], "fields": {}}

    def notes_on(self, application_id: str, candidate_id: str) -> list[str]:
        return [n["body"] for n in self.applications[application_id]["notes"]]

    def stage(self, application_id: str) -> str:
        return self.applications[application_id]["stage_id"]

    def set_stage(self, application_id: str, stage_id: str) -> None:
        self.applications[application_id]["stage_id"] = stage_id

    def _found(self, request):
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            return None, (401, {}, json.dumps({"error": "unauthorized"}))
        application_id = re.search(r"/applications/([^/]+)", request.url)[1]
        found = self.applications.get(application_id)
        if found is None:
            return None, (404, {}, json.dumps({"error": "not_found"}))
        return (application_id, found), None

    def _get(self, request):
        found, error = self._found(request)
        return error or (200, {}, json.dumps({"id": found[0], "stage_id": found[1]["stage_id"]}))

    def _notes(self, request):
        found, error = self._found(request)
        return error or (200, {}, json.dumps(found[1]["notes"]))

    def _note(self, request):
        found, error = self._found(request)
        if error:
            return error
        note = {"id": len(found[1]["notes"]) + 1, "body": json.loads(request.body)["body"]}
        found[1]["notes"].append(note)
        return 201, {}, json.dumps(note)

    def _fields(self, request):
        found, error = self._found(request)
        if error:
            return error
        found[1]["fields"] = json.loads(request.body)
        return 200, {}, json.dumps({"fields": found[1]["fields"]})

    def _move(self, request):
        found, error = self._found(request)
        if error:
            return error
        body = json.loads(request.body)
        if body.get("from_stage_id") not in (None, found[1]["stage_id"]):
            return 422, {}, json.dumps({"error": "stage_changed"})
        found[1]["stage_id"] = body["stage_id"]
        return 200, {}, json.dumps({"stage_id": body["stage_id"]})


KIT = Kit(credentials={"api_key": KEY}, api_base_url=BASE, fake=FakeRestAts,
          fixtures=Path(__file__).parent / "fixtures", signs_timestamp=True,
          application={"application_id": "app-1", "candidate_id": "cand-1", "stage": "screen",
                       "target": "interview", "elsewhere": "offer"})
