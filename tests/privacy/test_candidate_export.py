"""The candidate's copy of their data: exactly theirs, from their link only, and logged."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select

from connector.models import Access, AccessEvent, Actor
from tests.candidate.conftest import WEBM
from tests.privacy.conftest import EMAIL, NAME
from tests.privacy_pages.people import OTHER_EMAIL, OTHER_NAME, invite_another


def export(client, token):
    return client.get(f"/interview/{token}/privacy/export")


def test_the_copy_holds_exactly_the_candidates_record_and_recordings(
        client, services, person, installation):
    invite_another(client, services, installation)
    response = export(client, person["token"])
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == [
        "record.json", "recordings/question-1.webm", "recordings/question-2.webm"]
    assert archive.read("recordings/question-1.webm") == WEBM + b"a" * 5000
    assert archive.read("recordings/question-2.webm") == WEBM + b"b" * 3000
    assert archive.getinfo("recordings/question-1.webm").compress_type == zipfile.ZIP_STORED

    record = json.loads(archive.read("record.json"))
    assert (record["interview"], record["name"], record["email"], record["job"],
            record["company"], record["state"]) == (
        person["public_id"], NAME, EMAIL, "Designer", "Acme", "completed")
    assert record["consent"]["text"] and record["consent"]["agreed_at"]
    assert [(a["question"], a["kind"], a["file"]) for a in record["answers"]] == [
        (1, "video", "recordings/question-1.webm"), (2, "video", "recordings/question-2.webm"),
        (3, "text", None)]
    assert record["answers"][2]["text"] == "Because it matters."
    assert record["retention"]["days"] == 180
    assert "scores and comments" in record["not_included"]
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode("latin-1")
    assert OTHER_NAME not in everything and OTHER_EMAIL not in everything
    assert "gave clear examples" not in everything  # the reviewer's comment
    with services.db.session() as session:
        (line,) = session.scalars(select(AccessEvent).where(
            AccessEvent.action == Access.EXPORTED)).all()
        assert (line.actor, line.interview) == (Actor.CANDIDATE, person["public_id"])


def test_another_link_reaches_only_its_own_copy_and_a_wrong_one_nothing(
        client, services, person, installation):
    other = invite_another(client, services, installation)
    theirs = zipfile.ZipFile(io.BytesIO(export(client, other).data))
    assert theirs.namelist() == ["record.json"]
    record = json.loads(theirs.read("record.json"))
    assert (record["name"], record["email"]) == (OTHER_NAME, OTHER_EMAIL)
    assert record["interview"] != person["public_id"] and record["answers"] == []
    assert export(client, "x" * 43).status_code == 404
    near = person["token"][:-1] + ("B" if person["token"][-1] == "A" else "A")
    assert export(client, near).status_code == 404
