"""What reviewing writes to Greenhouse besides notes: the score field and the decision's move."""

from __future__ import annotations

import re

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from adapters.contract import Connection
from adapters.events import Outcome, Verdict
from adapters.http import Temporary
from adapters.greenhouse import MANIFEST
from adapters.greenhouse.adapter import score_field_value
from connector import accounts
from connector.models import (
    Installation,
    Interview,
    LinkPurpose,
    Push,
    Scorecard,
    ShareLink,
    utcnow,
)
from connector.review import invitations
from jobs.writeback import write
from tests.conftest import row_counts
from tests.fakes.greenhouse import CREDENTIALS
from tests.review.conftest import add_user, score_form, sign_in

APPLICATION, TRIGGER_STAGE, NEXT_STAGE, OFFER_STAGE = 265277, 71416, 71417, 71418


def set_options(services, **options):
    with services.db.session() as db:
        db.scalars(select(Installation)).one().options = options


def review(app, services, public_id, email, name, **fields):
    """One more reviewer signs in and submits a scorecard."""
    add_user(services, email, name=name)
    client = app.test_client()
    sign_in(client, email)
    assert score_form(client, f"/review/sessions/{public_id}", **fields).status_code == 303


def calls(greenhouse, kind):
    return [c for c in greenhouse.calls if c["kind"] == kind]


def test_the_score_goes_into_the_configured_custom_field(app, services, completed, greenhouse):
    greenhouse.add_application(APPLICATION, TRIGGER_STAGE)
    set_options(services, custom_field="async_screen_score", note_visibility="private")
    review(app, services, completed, "ana@acme.example", "Ana")  # 4, 5, 3; yes
    review(app, services, completed, "bo@acme.example", "Bo", **{
        "competency-0": "2", "competency-1": "3", "competency-2": "4",
        "recommendation": "yes"})

    fields = greenhouse.applications[APPLICATION]["custom_fields"]
    assert fields == {"async_screen_score": "3.5 / 5, Yes (2 reviewers)"}
    assert len(calls(greenhouse, "patch_application")) == 2  # once per scorecard
    scores_notes = [n for n in greenhouse.notes if "scores for" in n["body"]]
    assert [n["visibility"] for n in scores_notes] == ["private", "private"]


def test_without_a_custom_field_only_notes_are_written(app, services, completed, greenhouse):
    review(app, services, completed, "ana@acme.example", "Ana")
    assert calls(greenhouse, "patch_application") == []
    assert [n["visibility"] for n in greenhouse.notes] == ["admin_only"] * len(greenhouse.notes)


def test_a_decision_moves_the_application_once(app, services, completed, greenhouse):
    greenhouse.add_application(APPLICATION, TRIGGER_STAGE)
    set_options(services, decision_stages={"yes": str(NEXT_STAGE)}, decision_after=2)
    review(app, services, completed, "ana@acme.example", "Ana")  # yes
    assert calls(greenhouse, "move_application") == []  # one scorecard is not yet a decision

    review(app, services, completed, "bo@acme.example", "Bo")  # yes
    assert greenhouse.applications[APPLICATION]["job_interview_stage_id"] == NEXT_STAGE
    (move,) = calls(greenhouse, "move_application")
    assert move["json"] == {"from_stage_id": TRIGGER_STAGE, "to_stage_id": NEXT_STAGE}

    review(app, services, completed, "cy@acme.example", "Cy")  # a third: no second move
    assert len(calls(greenhouse, "move_application")) == 1
    with services.db.session() as db:
        assert db.scalars(select(Push.kind).where(Push.kind == "move")).all() == ["move"]


def test_a_decision_stage_given_by_name_is_found_in_the_applications_job(
        app, services, completed, greenhouse):
    greenhouse.add_application(APPLICATION, TRIGGER_STAGE, job_id=87752)
    greenhouse.stages = [{"id": 500, "job_id": 11111, "name": "Interview"},  # another job's
                         {"id": NEXT_STAGE, "job_id": 87752, "name": "Interview"}]
    set_options(services, decision_stages={"yes": "interview"})
    review(app, services, completed, "ana@acme.example", "Ana")  # yes
    assert greenhouse.applications[APPLICATION]["job_interview_stage_id"] == NEXT_STAGE


def test_a_decision_stage_missing_from_the_job_fails_the_push_visibly(
        app, services, completed, greenhouse):
    greenhouse.add_application(APPLICATION, TRIGGER_STAGE)
    set_options(services, decision_stages={"yes": "Offer"})
    review(app, services, completed, "ana@acme.example", "Ana")
    assert calls(greenhouse, "move_application") == []
    with services.db.session() as db:
        move = db.scalars(select(Push).where(Push.kind == "move")).one()
        assert move.status.value == "failed" and "no stage named 'Offer'" in move.last_error


def test_a_decision_a_recruiter_beat_fails_its_move_and_flags_nothing(
        app, services, completed, greenhouse):
    """A recruiter moves the card after our read of its stage and before our move: theirs
    stands, the push says why it did not move, and the installation needs no attention."""
    greenhouse.add_application(APPLICATION, TRIGGER_STAGE)
    set_options(services, decision_stages={"yes": str(NEXT_STAGE)})
    greenhouse.before_move = lambda application: application.update(
        job_interview_stage_id=OFFER_STAGE, stage_id=OFFER_STAGE)
    review(app, services, completed, "ana@acme.example", "Ana")  # yes
    assert greenhouse.applications[APPLICATION]["job_interview_stage_id"] == OFFER_STAGE
    assert len(calls(greenhouse, "move_application")) == 1  # refused, and not tried again
    with services.db.session() as db:
        move = db.scalars(select(Push).where(Push.kind == "move")).one()
        assert move.status.value == "failed"
        assert f"left stage {TRIGGER_STAGE} before it could be moved" in move.last_error
        installation = db.scalars(select(Installation)).one()
        assert (installation.status.value, installation.attention_reason) == ("active", None)


def test_a_tie_is_no_decision(app, services, completed, greenhouse):
    greenhouse.add_application(APPLICATION, TRIGGER_STAGE)
    set_options(services, decision_stages={"yes": str(NEXT_STAGE), "no": "1"}, decision_after=2)
    review(app, services, completed, "ana@acme.example", "Ana", recommendation="yes")
    review(app, services, completed, "bo@acme.example", "Bo", recommendation="no")
    assert calls(greenhouse, "move_application") == []
    assert greenhouse.applications[APPLICATION]["job_interview_stage_id"] == TRIGGER_STAGE


def adapter(**options):
    return MANIFEST.build(Connection("secret", CREDENTIALS, strict_hosts=False,
                                     options=options))


RESULT = Verdict(overall=4.25, recommendation="strong_yes", competencies=(("Communication", 4.5),),
                reviewers=("Ana",), review_url="https://connector.test/review/shared/x")


def scores_outcome():
    return Outcome("scores", str(APPLICATION), "265772", "Scores\n[m-1]", "[m-1]", result=RESULT)


def test_a_retry_after_the_field_failed_sets_it_without_a_second_note(greenhouse):
    greenhouse.add_application(APPLICATION, TRIGGER_STAGE)
    greenhouse.field_failures.append(503)  # the first PATCH fails after the note was written
    ats = adapter(custom_field="score")
    with pytest.raises(Temporary):
        write(ats, scores_outcome(), first_attempt=True)
    write(ats, scores_outcome(), first_attempt=False)
    assert len(greenhouse.notes) == 1
    assert greenhouse.applications[APPLICATION]["custom_fields"] == {
        "score": "4.2 / 5, Strong yes (1 reviewer)"}


def test_a_move_already_made_is_not_made_again(greenhouse):
    greenhouse.add_application(APPLICATION, NEXT_STAGE)
    outcome = Outcome("move", str(APPLICATION), "265772", "Moved", "[m-2]",
                      move_to_stage=str(NEXT_STAGE))
    assert write(adapter(), outcome, first_attempt=False) == str(NEXT_STAGE)
    assert calls(greenhouse, "move_application") == [] and greenhouse.notes == []


def test_an_unknown_note_visibility_is_refused_and_a_missing_one_is_admin_only(greenhouse):
    # Options are checked where they are given (wizard, API), so an adapter never sees "everyone".
    with pytest.raises(ValidationError):
        MANIFEST.load_options({"note_visibility": "everyone"})
    assert MANIFEST.load_options({})["note_visibility"] == "admin_only"
    write(adapter(), scores_outcome(), first_attempt=True)
    assert greenhouse.notes[0]["visibility"] == "admin_only"


def test_the_field_value_reads_well_without_a_recommendation():
    assert score_field_value(Verdict(overall=None, recommendation=None)) == \
        "not rated (0 reviewers)"


def test_an_outcome_survives_the_outbox_round_trip():
    from dataclasses import asdict
    import json

    stored = json.loads(json.dumps(asdict(scores_outcome())))
    assert Outcome.from_dict(stored) == scores_outcome()


def link_in(note: str) -> str:
    return re.search(r"https://connector\.test(/review/shared/[A-Za-z0-9_-]{43})", note)[1]


def test_the_notes_link_is_made_for_the_notes_and_never_scores(app, services, completed,
                                                               greenhouse, client):
    """A hand-made link was put in a note with its right to score."""
    (done,) = [n["body"] for n in greenhouse.notes if "completed the" in n["body"]]
    with services.db.session() as db:
        interview = db.scalars(select(Interview)).one()
        _, by_hand = accounts.create_share_link(db, services.keyring, interview, False, 14)
        for link in db.scalars(select(ShareLink).where(ShareLink.purpose == LinkPurpose.NOTE)):
            link.revoked_at = utcnow()  # the next note needs a new link
    set_options(services, share_can_score=True)
    review(app, services, completed, "ana@acme.example", "Ana")
    (scores,) = [n["body"] for n in greenhouse.notes if "scores for" in n["body"]]
    assert link_in(scores) not in (link_in(done), f"/review/shared/{by_hand}")
    with services.db.session() as db:
        links = db.scalars(select(ShareLink).order_by(ShareLink.id)).all()
        assert [link.purpose for link in links] == [LinkPurpose.NOTE, LinkPurpose.MANUAL,
                                                    LinkPurpose.NOTE]
    before = row_counts(services)
    assert score_form(client, link_in(scores)).status_code == 403
    assert row_counts(services) == before


def test_a_decision_counts_each_reviewer_once(app, services, completed, greenhouse):
    """An invited reviewer who later gets an account with the same address is one reviewer."""
    greenhouse.add_application(APPLICATION, TRIGGER_STAGE)
    set_options(services, decision_stages={"yes": str(NEXT_STAGE)}, decision_after=2)
    with services.db.session() as db:
        interview = db.scalars(select(Interview)).one()
        invitation, _ = invitations.invite(db, services.keyring, interview, "dana@acme.example",
                                           "Dana", "https://connector.test")
        token = services.keyring.decrypt(invitation.token_encrypted)
    assert score_form(app.test_client(), f"/review/shared/{token}").status_code == 303
    review(app, services, completed, "dana@acme.example", "Dana")  # the same person, signed in
    assert calls(greenhouse, "move_application") == []
    with services.db.session() as db:
        assert len(db.scalars(select(Scorecard)).all()) == 2
    review(app, services, completed, "bo@acme.example", "Bo")
    assert len(calls(greenhouse, "move_application")) == 1
    scores = [n["body"] for n in greenhouse.notes if "scores for" in n["body"]]
    assert "Reviewed by Dana and Bo." in scores[-1]
