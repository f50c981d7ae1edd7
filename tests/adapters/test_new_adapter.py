"""Adding an ATS is one folder and one registry line: a throwaway ATS, written here into a
temporary folder outside the project, passes the contract suite, is chosen and set up in the
wizard, receives a webhook whose thin event it completes through its API, and takes a note,
while no file of the project changes.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import responses
from sqlalchemy import select

import adapters
from connector.models import DeliveryStatus, Installation, Interview, WebhookDelivery
from tests.adapters import contract
from tests.adapters.kit import Kit
from tests.admin.conftest import admin_client, post_form, user_client  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
API = "https://api.acmehire.example"
TOKEN = "acme-token-1"

# The whole ATS folder: a manifest, an adapter (inbound, enrich, outbound), a sample, setup.
FOLDER = {
    "__init__.py": '''
        """Acme Hire: a made-up ATS whose webhooks carry ids only."""
        from pathlib import Path

        from marshmallow import Schema, fields, validate

        from adapters.manifest import CredentialField, Manifest
        from acmehire.adapter import AcmeHireAdapter


        class AcmeOptions(Schema):
            author = fields.String(validate=validate.OneOf(["connector", "recruiter"]),
                                   load_default="connector", allow_none=True,
                                   metadata={"label": "Who the notes are written as"})


        MANIFEST = Manifest(
            key="acmehire", name="Acme Hire", adapter=AcmeHireAdapter,
            folder=Path(__file__).parent,
            credentials=(CredentialField("token", "Acme API token", secret=True),),
            options=AcmeOptions,
            capabilities=frozenset({"notes", "find_note", "enrich", "test_event"}),
            allowed_hosts=("acmehire.example",), default_base_url="https://api.acmehire.example")
    ''',
    "adapter.py": '''
        """Acme Hire: X-Acme-Signature (hex HMAC-SHA256 of the body); ids-only events."""
        import requests

        from adapters.contract import Adapter
        from adapters.errors import MalformedPayload, SignatureError
        from adapters.events import Candidate, Event, EventKind
        from adapters.http import ApiClient
        from adapters.parsing import decode
        from adapters.signing import hmac_sha256_hex, same


        class AcmeHireAdapter(Adapter):
            events = {"candidate.moved": EventKind.STAGE_CHANGED}

            def verify(self, body, headers):
                given = headers.get("X-Acme-Signature") or ""
                secret = self.connection.webhook_secret
                if not secret or not same(hmac_sha256_hex(secret, body), given):
                    raise SignatureError("no matching signature", "bad_signature")

            def read(self, body, headers):
                data = decode(body)
                if not isinstance(data, dict) or not isinstance(data.get("event"), str):
                    raise MalformedPayload("not an Acme Hire event")
                kind = self.events.get(data["event"])
                if kind is None:
                    return data["event"], None
                return data["event"], Event(
                    kind=kind, action=data["event"], candidate=None,
                    application_id=str(data["application_id"]),
                    stage_id=str(data["stage_id"]), stage_name=data.get("stage_name"))

            @classmethod
            def sign(cls, body, secret):
                return {"Content-Type": "application/json",
                        "X-Acme-Signature": hmac_sha256_hex(secret, body)}

            def enrich(self, event):
                found = self.api().request(
                    "GET", f"applications/{event.application_id}").json()
                person = found["candidate"]
                candidate = Candidate(ats_id=str(person["id"]), first_name=person["first"],
                                      last_name=person["last"], email=person["email"])
                return Event(**{**vars(event), "candidate": candidate,
                                "job_title": found["job"]})

            def create_note(self, outcome):
                answer = self.api().request("POST", f"applications/{outcome.application_id}/notes",
                                            json={"text": outcome.text})
                return str(answer.json()["id"])

            def find_note(self, outcome):
                notes = self.api().request(
                    "GET", f"applications/{outcome.application_id}/notes").json()
                return next((str(n["id"]) for n in notes if outcome.marker in n["text"]), None)

            def api(self):
                session = requests.Session()
                session.headers["Authorization"] = "Bearer " + self.connection.credentials["token"]
                return ApiClient(self.connection.api_base_url or "https://api.acmehire.example",
                                 session)
    ''',
    "sample.json": '''
        {"event": "candidate.moved", "application_id": "acme-test", "stage_id": "test-stage",
         "stage_name": "Connector test event (not a real stage)"}
    ''',
    "setup.html": '''
        <ol><li>In Acme Hire, open Settings, Webhooks, and paste {{ item.webhook_url }}.</li></ol>
    ''',
}
FIXTURE = {"event": "candidate.moved", "application_id": "77", "stage_id": "s-2",
           "stage_name": "Async screen"}


class FakeAcme:
    """Acme Hire's API: an application with its candidate and job, and its notes."""

    def __init__(self, mock: responses.RequestsMock):
        self.applications: dict[str, dict] = {}
        path = re.escape(API) + r"/applications/([^/]+)"
        mock.add_callback(responses.GET, re.compile(path + "$"), callback=self._get)
        mock.add_callback(responses.GET, re.compile(path + "/notes$"), callback=self._notes)
        mock.add_callback(responses.POST, re.compile(path + "/notes$"), callback=self._note)

    def add_application(self, application_id, candidate_id, stage_id):
        self.applications[application_id] = {
            "candidate": {"id": candidate_id, "first": "Ada", "last": "Byron",
                          "email": "ada@example.com"}, "job": "Analyst", "notes": []}

    def notes_on(self, application_id, candidate_id):
        return [n["text"] for n in self.applications[application_id]["notes"]]

    def _app(self, request) -> dict:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        return self.applications.get(re.search(r"/applications/([^/]+)", request.url)[1])

    def _get(self, request):
        found = self._app(request)
        if found is None:
            return 404, {}, json.dumps({"error": "not found"})
        return 200, {}, json.dumps({"candidate": found["candidate"], "job": found["job"]})

    def _notes(self, request):
        found = self._app(request)
        return (200, {}, json.dumps(found["notes"])) if found else (404, {}, "{}")

    def _note(self, request):
        found = self._app(request)
        if found is None:
            return 404, {}, "{}"
        found["notes"].append({"id": len(found["notes"]) + 1,
                               "text": json.loads(request.body)["text"]})
        return 201, {}, json.dumps(found["notes"][-1])


def project_files() -> dict[str, str]:
    """A digest of every file of the project's code, to show that none changed."""
    return {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in ("adapters", "connector", "jobs", "webhooks", "config")
            for p in sorted((ROOT / folder).rglob("*")) if p.is_file() and "__pycache__" not in
            p.parts}


@pytest.fixture
def acmehire(tmp_path, monkeypatch):
    """The folder written and imported from outside the project, and its one registry line."""
    folder = tmp_path / "acmehire"
    (folder / "fixtures").mkdir(parents=True)
    for name, text in FOLDER.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip())
    (folder / "fixtures" / "candidate_moved.json").write_text(json.dumps(FIXTURE))
    stated = {"action": "candidate.moved", "event": {
        "kind": "stage_changed", "action": "candidate.moved", "application_id": "77",
        "candidate": None, "stage_id": "s-2", "stage_name": "Async screen", "job_id": None,
        "job_title": None, "application_url": None, "occurred_at": None,
        "application_ids": []}}
    (folder / "fixtures" / "candidate_moved.event.json").write_text(json.dumps(stated))
    monkeypatch.syspath_prepend(str(tmp_path))
    from acmehire import MANIFEST

    adapters.ADAPTERS.append(MANIFEST)  # the registry line
    kit = Kit(credentials={"token": TOKEN}, api_base_url=API, fake=FakeAcme,
              fixtures=folder / "fixtures", signs_timestamp=False,
              application={"application_id": "77", "candidate_id": "c-9", "stage": "s-2",
                           "target": "s-3", "elsewhere": "s-4"})
    yield MANIFEST, kit
    adapters.ADAPTERS.remove(MANIFEST)


def test_a_new_folder_passes_the_contract_suite(acmehire):
    manifest, kit = acmehire
    before = project_files()
    contract.check_manifest(manifest)
    contract.check_fixture(manifest, kit, "candidate_moved")
    contract.check_signatures(manifest, kit)
    contract.check_sample(manifest, kit)
    for outcome in contract.outcomes(kit):
        contract.check_written_once(manifest, kit, outcome)
    assert project_files() == before


def test_a_new_folder_is_set_up_in_the_wizard_and_takes_a_webhook_and_a_note(
        acmehire, app, services, admin_client):
    manifest, kit = acmehire
    before = project_files()
    admin = admin_client("Acme")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeAcme(mock)
        mock.add_callback(responses.POST, re.compile(r"https://connector\.test/webhooks/.*"),
                          callback=lambda request: _hand_to_app(app, request))
        installation_id = _set_up(admin, services)
        public_id, secret = _webhook_of(services, installation_id)

        fake.add_application("77", "c-9", "s-2")
        body = json.dumps(FIXTURE).encode()
        answer = app.test_client().post(f"/webhooks/acmehire/{public_id}", data=body,
                                        headers=manifest.adapter.sign(body, secret))
        assert answer.status_code == 200, answer.get_json()

        with services.db.session() as db:
            delivery = db.scalars(select(WebhookDelivery)).one()
            assert (delivery.status, delivery.outcome) == (DeliveryStatus.PROCESSED, "invited")
            interview = db.scalars(select(Interview)).one()
            assert (interview.candidate_email, interview.candidate_name,
                    interview.job_title) == ("ada@example.com", "Ada Byron", "Analyst")
        assert [n for n in fake.notes_on("77", "c-9") if "Ref:" in n]  # the push reached it

        test_event = post_form(admin, f"/admin/installations/{installation_id}/test-event", {},
                               token_from="/admin/installations")
        token = re.search(r"token=([0-9a-f]{32})", test_event.headers["Location"])[1]
        status = admin.get(f"/admin/installations/{installation_id}/test-event/{token}")
        assert status.get_json()["state"] == "arrived", status.get_json()
    assert project_files() == before


def _set_up(admin, services) -> int:
    """Choose Acme Hire, give its credentials, a trigger stage and its own option."""
    assert "Acme Hire" in admin.get("/admin/installations/new").get_data(as_text=True)
    page = admin.get("/admin/installations/new/acmehire").get_data(as_text=True)
    assert "Acme API token" in page and 'type="password"' in page
    response = post_form(admin, "/admin/installations/new/acmehire",
                         {"name": "Acme Hire", "token": TOKEN, "api_base_url": API},
                         token_from="/admin/installations")
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    with services.db.session() as db:
        installation_id = db.scalars(select(Installation.id)).one()
    step = f"/admin/installations/{installation_id}/setup"
    assert "Settings, Webhooks" in admin.get(f"{step}/webhook").get_data(as_text=True)
    assert post_form(admin, f"{step}/stages", {"stages_text": "Async screen"},
                     token_from="/admin/installations").status_code == 302
    results = admin.get(f"{step}/results").get_data(as_text=True)
    assert "Who the notes are written as" in results and "decision_yes" not in results
    assert post_form(admin, f"{step}/results", {"author": "recruiter"},
                     token_from="/admin/installations").status_code == 302
    with services.db.session() as db:
        assert db.get(Installation, installation_id).options["author"] == "recruiter"
    return installation_id


def _webhook_of(services, installation_id: int) -> tuple[str, str]:
    with services.db.session() as db:
        row = db.get(Installation, installation_id)
        return row.public_id, services.keyring.decrypt(row.webhook_secret_encrypted)


def _hand_to_app(app, request):
    """The test event's POST to the public URL, answered by the app itself."""
    answer = app.test_client().post(urlsplit(request.url).path, data=request.body,
                                    headers=dict(request.headers))
    return answer.status_code, {}, answer.get_data()


def test_no_module_of_the_core_names_an_ats():
    """connector/, jobs/ and webhooks/ speak of adapters, never of one ATS (in names and
    strings; a comment or docstring may cite one as an example)."""
    import io
    import tokenize

    named = []
    for folder in ("connector", "jobs", "webhooks"):
        for path in (ROOT / folder).rglob("*.py"):
            tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
            named += [f"{path.relative_to(ROOT)}:{t.start[0]}" for t in tokens
                      if (t.type == tokenize.NAME or t.type == tokenize.STRING and not
                          t.string.lstrip("rbuRBU").startswith(('"""', "'''")))
                      and "greenhouse" in t.string.lower()]
    assert named == []
