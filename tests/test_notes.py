"""The notes a hiring team reads in its ATS, each kind whole, and the reference a retry finds."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import combinations

from adapters.contract import Connection
from adapters.events import Candidate, Event, EventKind, Outcome
from adapters.greenhouse import MANIFEST
from connector import notes
from connector.models import Installation, Interview, Organization
from jobs.writeback import write
from tests.fakes.greenhouse import CREDENTIALS

URL = "https://connector.test/review/shared/sh_8fK2mQpLx0Vw3nZr"
LINKS = [("Watch and review all answers", URL), ("Answer 1", f"{URL}#answer-1"),
         ("Answer 2", f"{URL}#answer-2")]


def installation(ats="greenhouse") -> Installation:
    organization = Organization(name="Acme", timezone="Europe/London")
    return Installation(ats=ats, name="Acme Greenhouse", organization=organization)


def interview(**fields) -> Interview:
    values = dict(
        public_id="ses_Q3vX9kLm2PzA7bWc", ats_application_id="69306314",
        ats_candidate_id="265772", candidate_name="Ada Okafor",
        candidate_email="ada.okafor@example.com", job_title="Support Engineer",
        deadline_at=datetime(2026, 11, 29, 11, 5, tzinfo=UTC),
        completed_at=datetime(2026, 11, 26, 11, 17, 7, 372399, tzinfo=UTC))
    return Interview(**{**values, **fields})


def summary(**fields) -> dict:
    values = {
        "reviewers": ["Ana Silva", "Bo Chen"], "overall": 3.75,
        "recommendations": {"strong_no": 0, "no": 0, "yes": 1, "strong_yes": 1},
        "competencies": [{"name": "Communication", "mean": 3.5},
                         {"name": "Problem solving", "mean": 4.0}],
        "questions": [{"position": 1, "prompt": "Tell us about yourself.", "mean": 4.5},
                      {"position": 2, "prompt": "What did you solve, and how?", "mean": None}]}
    return {**values, **fields}


def text(push) -> str:
    assert push.payload["text"].endswith("\n" + push.payload["marker"])
    return push.payload["text"]


def test_the_invited_note():
    assert text(notes.invited(installation(), interview())) == (
        "Ada Okafor was invited to the async video interview for Support Engineer.\n"
        "The invitation went to ada.okafor@example.com and is open until "
        "Sunday 29 November 2026 at 11:05 (Europe/London).\n"
        "\n"
        "Ref: IV-SR0TX5 (invited)")


def test_the_expired_note():
    assert text(notes.expired(installation(), interview(), 1, 3)) == (
        "The async video interview for Support Engineer expired on "
        "Sunday 29 November 2026 at 11:05 (Europe/London) before Ada Okafor finished it.\n"
        "1 of 3 answers had been recorded.\n"
        "\n"
        "Ref: IV-SR0TX5 (expired PDFG)")


def test_an_expired_note_without_answers_or_a_name():
    unnamed = interview(candidate_name=notes.UNNAMED, job_title="")
    assert text(notes.expired(installation(), unnamed, 0, 3)) == (
        "The async video interview expired on Sunday 29 November 2026 at 11:05 "
        "(Europe/London) before the candidate finished it.\n"
        "No answers had been recorded.\n"
        "\n"
        "Ref: IV-SR0TX5 (expired PDFG)")


def test_the_completed_note_names_its_links_on_lines_of_their_own():
    assert text(notes.completed(installation(), interview(), LINKS)) == (
        "Ada Okafor completed the async video interview for Support Engineer on "
        "Thursday 26 November 2026 at 11:17 (Europe/London).\n"
        "\n"
        "Watch and review all answers:\n"
        f"{URL}\n"
        "\n"
        "Answer 1:\n"
        f"{URL}#answer-1\n"
        "Answer 2:\n"
        f"{URL}#answer-2\n"
        "\n"
        "Ref: IV-SR0TX5 (completed 087N)")


def test_the_scores_note():
    push = notes.scores(installation(), interview(), summary(), URL)
    assert text(push) == (
        "Async video interview scores for Ada Okafor (Support Engineer).\n"
        "Reviewed by Ana Silva and Bo Chen.\n"
        "Recommendations: 1 yes and 1 strong yes.\n"
        "Overall score: 3.8 / 5.\n"
        "\n"
        "Competencies:\n"
        "Communication — 3.5 / 5\n"
        "Problem solving — 4.0 / 5\n"
        "\n"
        "Questions:\n"
        "1. Tell us about yourself — 4.5 / 5\n"
        "2. What did you solve, and how? — not rated\n"
        "\n"
        "Watch and review the answers:\n"
        f"{URL}\n"
        "\n"
        "Ref: IV-SR0TX5 (scores 9KFN)")


def test_a_competency_ending_in_punctuation_reads_well():
    rubric = [{"name": "Motivation for this role.", "mean": None},
              {"name": "Is this person curious?", "mean": 4.0},
              {"name": "Ownership: ", "mean": 2.0}]
    push = notes.scores(installation(), interview(), summary(
        reviewers=["Ana"], recommendations={"yes": 0}, overall=None, competencies=rubric,
        questions=[]), None)
    assert text(push) == (
        "Async video interview scores for Ada Okafor (Support Engineer).\n"
        "Reviewed by Ana.\n"
        "No recommendation was given.\n"
        "Overall score: not rated.\n"
        "\n"
        "Competencies:\n"
        "Motivation for this role — not rated\n"
        "Is this person curious? — 4.0 / 5\n"
        "Ownership — 2.0 / 5\n"
        "\n"
        "Ref: IV-SR0TX5 (scores XWB0)")


def test_the_decision_move():
    push = notes.moved(installation(), interview(), "strong_yes", "71417")
    assert push.payload["move_to_stage"] == "71417"
    assert text(push) == (
        "The reviewers' decision was “Strong yes”, so the application moved to the stage "
        "chosen for that decision.\n"
        "\n"
        "Ref: IV-SR0TX5 (decision YDZK)")


def test_the_no_email_note_names_the_ats():
    event = Event(EventKind.STAGE_CHANGED, "candidate_stage_change", "69306314",
                  Candidate("265772", "Ada", "Okafor", None), stage_id="71416")
    assert text(notes.no_email(installation(), event, "71416:1")) == (
        "The async video interview was not sent: this candidate has no e-mail address we may "
        "use.\n"
        "To invite them, add an address (and allow e-mail) in Greenhouse, then move the "
        "candidate into this stage again.\n"
        "\n"
        "Ref: IV-TFMDBC (no e-mail)")


def test_references_are_unique_and_none_is_inside_another():
    session, other = interview(), interview(public_id="ses_otherSession00001")
    inst = installation()
    markers = [push.payload["marker"] for push in (
        notes.invited(inst, session), notes.invited(inst, other),
        notes.expired(inst, session, 0, 3),
        notes.expired(inst, interview(deadline_at=datetime(2026, 12, 1, tzinfo=UTC)), 0, 3),
        notes.completed(inst, session),
        notes.completed(inst, interview(completed_at=datetime(2026, 11, 27, tzinfo=UTC))),
        *(notes.scores(inst, session, summary(reviewers=["R"] * n), None)
          for n in (1, 2, 12, 21)),
        notes.moved(inst, session, "yes", "1"), notes.moved(inst, session, "strong_yes", "1"))]
    assert len(set(markers)) == len(markers)
    for one, another in combinations(markers, 2):
        assert one not in another and another not in one, (one, another)


def test_a_retry_finds_the_note_by_its_reference(greenhouse):
    """An attempt that wrote the note but lost the answer: the retry writes no second one."""
    outcome = Outcome.from_dict(notes.completed(installation(), interview(), LINKS).payload)
    ats = MANIFEST.build(Connection("secret", CREDENTIALS, strict_hosts=False))
    first = write(ats, outcome, first_attempt=True)
    assert write(ats, outcome, first_attempt=False) == first
    assert [note["body"] for note in greenhouse.notes] == [outcome.text]


def test_an_invitation_subject_fits_its_column_whatever_the_names():
    long = installation()
    long.organization.name = "A" * 200
    plan = [{"position": 1, "prompt": "Why?", "prep_seconds": 30, "answer_seconds": 120,
             "retakes": 1, "kind": "video", "max_characters": None, "is_practice": False}]
    email = notes.invitation_email(long, interview(job_title="J" * 200, plan=plan), URL)
    assert len(email.subject) == notes.SUBJECT_CHARACTERS == 300
    assert email.subject.startswith("Your video interview with AAA") and email.subject.endswith("…")
    short = notes.invitation_email(installation(), interview(plan=plan), URL)
    assert short.subject == "Your video interview with Acme for Support Engineer"
