"""The `connector` command: db upgrade, install, sessions list, extend, resend, reset-answer,
invite-reviewer."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, select

from connector.cli import main
from connector.models import (
    Answer, Installation, OutboxStatus, ReviewerInvitation, InterviewState, utcnow,
)
from tests.conftest import fixture_body, make_installation, row_counts, signed_post
from tests.lifecycle_support import (
    add_answer,
    change,
    emails,
    interview_of,
    invite,
    link_in,
    rows,
    tick,
)


@pytest.fixture
def env(settings):
    return {"DATABASE_URL": settings.database_url, "SECRET_KEYS": settings.secret_keys[0],
            "PUBLIC_BASE_URL": settings.public_base_url, "CONNECTOR_DATA_DIR": str(settings.data_dir),
            "REDIS_URL": "", "SMTP_URL": ""}


def run(env, *args):
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result


def test_db_upgrade_creates_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh.db"
    result = run({"DATABASE_URL": url, "CONNECTOR_DATA_DIR": str(tmp_path)}, "db", "upgrade")
    assert result.exit_code == 0, result.output
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"organizations", "installations", "interview_sessions", "webhook_deliveries",
            "pushes", "emails", "alembic_version"} <= tables
    assert run({"DATABASE_URL": url, "CONNECTOR_DATA_DIR": str(tmp_path)},
               "db", "upgrade").exit_code == 0  # idempotent


def test_install_prints_the_webhook_url_and_secret(env, services, client, greenhouse):
    result = run(env, "install", "greenhouse", "--organization", "Acme", "--name", "Main",
                 "--trigger-stage", "Assessment", "--credential", "client_id=client-123",
                 "--credential", "client_secret=secret-456", "--credential", "user_id=4080")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) == {"installation_id", "webhook_url", "webhook_secret",
                            "organization_id"}
    assert printed["organization_id"].startswith("org_")
    assert printed["webhook_url"] == (
        f"https://connector.test/webhooks/greenhouse/{printed['installation_id']}")
    # The printed secret is the one the webhook endpoint checks.
    installation = {"secret": printed["webhook_secret"],
                    "path": printed["webhook_url"].removeprefix("https://connector.test")}
    response = signed_post(client, installation, fixture_body("greenhouse", "candidate_stage_change"))
    assert response.status_code == 200

    listed = json.loads(run(env, "sessions", "list", "--json").stdout)
    assert len(listed) == 1
    row = listed[0]
    assert set(row) == {"id", "state", "candidate_email", "ats_application_id", "deadline"}
    assert (row["state"], row["candidate_email"], row["ats_application_id"]) == (
        "invited", "giuseppe.hurley@example.com", "265277")
    assert json.loads(run(env, "sessions", "list", "--installation",
                          printed["installation_id"], "--json").stdout) == listed
    assert json.loads(run(env, "sessions", "list", "--installation", "inst_other",
                          "--json").stdout) == []


@pytest.mark.parametrize("args, message", [
    (["--credential", "user_id=1"], "client_id and client_secret are required"),
    (["--credential", "api_key=k", "--credential", "user_id=1", "--api-base-url", "ftp://x"],
     "api base URL: not an http(s) URL"),
    (["--credential", "novalue"], "expected KEY=VALUE"),
    (["--credential", "client_id=c", "--credential", "client_secret=s", "--credential",
      "user_id=1", "--option", "note_visibility=everyone"],
     "option note_visibility: Must be one of: admin_only, private, public."),
    (["--credential", "client_id=c", "--credential", "client_secret=s", "--credential",
      "user_id=1", "--option", "colour=red"], "option colour: Unknown field."),
])
def test_install_refuses_bad_input_and_writes_nothing(env, services, args, message):
    before = row_counts(services)
    result = run(env, "install", "greenhouse", "--organization", "Acme", "--name", "Main",
                 "--trigger-stage", "Assessment", *args)
    assert result.exit_code == 2 if "KEY=VALUE" in message else result.exit_code == 1
    assert message in result.output
    assert row_counts(services) == before


def test_install_refuses_an_unknown_ats(env, services):
    result = run(env, "install", "taleo", "--organization", "Acme", "--name", "Main",
                 "--trigger-stage", "Assessment", "--credential", "api_key=k")
    assert result.exit_code == 1 and "unknown ATS 'taleo'" in result.output


def test_sessions_extend_prints_the_new_deadline(env, services, client, installation,
                                                 greenhouse):
    invited = invite(client, services, installation)
    result = run(env, "sessions", "extend", invited.public_id, "--hours", "24")
    assert result.exit_code == 0, result.output
    new_deadline = invited.deadline + timedelta(hours=24)
    assert json.loads(result.stdout) == {
        "id": invited.public_id, "state": "invited", "deadline": new_deadline.isoformat(),
        "reminder_at": (new_deadline - timedelta(hours=24)).isoformat()}
    assert interview_of(services, invited.public_id).deadline_at == new_deadline


def test_sessions_extend_reopens_an_expired_session(env, services, client, installation,
                                                    greenhouse):
    invited = invite(client, services, installation)
    tick(services, invited.deadline)
    assert client.get(invited.path).status_code == 410
    result = run(env, "sessions", "extend", invited.public_id, "--hours", "2")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert (printed["state"], printed["deadline"]) == (
        "invited", (invited.deadline + timedelta(hours=2)).isoformat())
    assert client.get(invited.path).status_code == 200


def test_sessions_resend_emails_the_same_link(env, services, client, installation, greenhouse):
    invited = invite(client, services, installation)
    result = run(env, "sessions", "resend", invited.public_id)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    first, again = emails(services, "invitation")
    assert printed == {"id": invited.public_id, "state": "invited",
                       "deadline": invited.deadline.isoformat(), "email_id": again.id}
    assert link_in(again.text_body) == invited.link == link_in(first.text_body)
    assert again.status is OutboxStatus.HELD  # its send job ran before the command returned


def test_sessions_reset_answer_deletes_it_and_reopens(env, services, client, installation,
                                                      greenhouse):
    invited = invite(client, services, installation)
    key = f"{invited.public_id}/q1.webm"
    add_answer(services, invited.public_id, 1, key=key)
    change(services, invited.public_id, state=InterviewState.COMPLETED, completed_at=utcnow())
    result = run(env, "sessions", "reset-answer", invited.public_id, "1")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "id": invited.public_id, "state": "started", "deadline": invited.deadline.isoformat(),
        "question": 1, "files_deleted": 1}
    assert rows(services, Answer) == [] and not services.storage.exists(key)


@pytest.mark.parametrize("args, message", [
    (["extend", "ses_nope", "--hours", "1"], "no interview session 'ses_nope'"),
    (["resend", "ses_nope"], "no interview session 'ses_nope'"),
    (["reset-answer", "ses_nope", "1"], "no interview session 'ses_nope'"),
    (["extend", "ID", "--hours", "0"], "hours must be a whole number from 1 to 8760"),
    (["reset-answer", "ID", "0"], "question 0 is the practice question"),
    (["reset-answer", "ID", "9"], "has no question 9 (its questions are 1, 2, 3)"),
    (["resend", "CANCELLED"], "is cancelled (the application was closed in the ATS)"),
], ids=["extend-unknown", "resend-unknown", "reset-unknown", "zero-hours", "practice",
        "no-such-question", "resend-cancelled"])
def test_sessions_commands_refuse_bad_input_and_write_nothing(env, services, client,
                                                              installation, greenhouse,
                                                              args, message):
    invited = invite(client, services, installation)
    key = f"{invited.public_id}/q1.webm"
    add_answer(services, invited.public_id, 1, key=key)
    if "CANCELLED" in args:
        change(services, invited.public_id, state=InterviewState.CANCELLED)
    before = row_counts(services)
    args = [invited.public_id if a in ("ID", "CANCELLED") else a for a in args]
    result = run(env, "sessions", *args)
    assert result.exit_code == 1 and message in result.output
    assert row_counts(services) == before and services.storage.exists(key)
    interview = interview_of(services, invited.public_id)
    assert (interview.deadline_at, interview.completed_at) == (invited.deadline, None)


def test_sessions_accommodate_extends_times_and_retakes(env, services, client, installation,
                                                        greenhouse):
    from tests.candidate.conftest import Candidate, csrf_token

    invited = invite(client, services, installation)
    result = run(env, "sessions", "accommodate", invited.public_id, "--time-factor", "1.5",
                 "--extra-retakes", "2")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) | {"deadline": None} == {
        "id": invited.public_id, "state": "invited", "deadline": None,
        "time_factor": 1.5, "extra_retakes": 2}
    token = link_in(emails(services, "invitation")[0].text_body).rsplit("/", 1)[1]
    client.post(f"/interview/{token}/consent",
                data={"agree": "yes", "csrf_token": csrf_token(client, f"/interview/{token}")})
    question = Candidate(client, token).state()["questions"][0]
    assert (question["prep_seconds"], question["answer_seconds"], question["retakes"]) == (
        45, 180, 3)


@pytest.mark.parametrize("args", [["--time-factor", "0.5"], ["--extra-retakes", "-1"],
                                  ["--time-factor", "9"]])
def test_sessions_accommodate_refuses_out_of_range_values(env, services, client, installation,
                                                          greenhouse, args):
    invited = invite(client, services, installation)
    before = row_counts(services)
    result = run(env, "sessions", "accommodate", invited.public_id, *args)
    assert result.exit_code == 2 and "Invalid value" in result.output
    assert row_counts(services) == before
    assert interview_of(services, invited.public_id).time_factor == 1.0


# Reviewer invitations


def test_invite_reviewer_emails_a_personal_link_and_prints_none(env, services, client,
                                                                installation, greenhouse):
    invited = invite(client, services, installation)
    result = run(env, "sessions", "invite-reviewer", invited.public_id, "--email",
                 "Dana@Partner.example", "--name", "Dana Scully")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) == {"id", "session_id", "email", "name", "expires_at", "revoked_at"}
    assert (printed["session_id"], printed["email"], printed["name"]) == (
        invited.public_id, "dana@partner.example", "Dana Scully")
    assert "/review/" not in result.output  # the link goes to Dana only
    (email,) = emails(services, "reviewer_invitation")
    assert email.to_address == "dana@partner.example" and email.status is OutboxStatus.HELD
    link = re.search(r"/review/shared/[A-Za-z0-9_-]{43}", email.text_body)[0]
    assert "Scoring as Dana Scully." in client.get(link).get_data(as_text=True)

    result = run(env, "sessions", "uninvite-reviewer", printed["id"])
    assert result.exit_code == 0 and json.loads(result.stdout)["revoked_at"]
    assert client.get(link).status_code == 404


@pytest.mark.parametrize("args, code, message", [
    (["ses_nope", "--email", "d@x.example", "--name", "D"], 1, "no interview session 'ses_nope'"),
    (["ID", "--email", "nope", "--name", "D"], 1, "a valid email address is required"),
    (["ID", "--email", "d@x.example", "--name", "\u200b"], 1, "name is required"),
    (["ID", "--email", "d@x.example", "--name", "D", "--days", "0"], 2, "Invalid value"),
])
def test_invite_reviewer_refuses_bad_input_and_writes_nothing(env, services, client,
                                                              installation, greenhouse, args,
                                                              code, message):
    invited = invite(client, services, installation)
    before = row_counts(services)
    result = run(env, "sessions", "invite-reviewer",
                 *[invited.public_id if a == "ID" else a for a in args])
    assert result.exit_code == code and message in result.output
    assert row_counts(services) == before


def test_uninvite_reviewer_refuses_an_unknown_invitation(env, services):
    result = run(env, "sessions", "uninvite-reviewer", "rinv_nope")
    assert result.exit_code == 1 and "no reviewer invitation 'rinv_nope'" in result.output
    assert rows(services, ReviewerInvitation) == []


def test_install_takes_the_ats_own_options_as_its_manifest_names_them(env, services):
    result = run(env, "install", "greenhouse", "--organization", "Acme", "--name", "Main",
                 "--trigger-stage", "Assessment", "--credential", "client_id=c",
                 "--credential", "client_secret=s", "--credential", "user_id=1",
                 "--option", "note_visibility=private", "--option", "custom_field=video_score")
    assert result.exit_code == 0, result.output
    with services.db.session() as db:
        options = db.scalars(select(Installation)).one().options
    assert options == {"note_visibility": "private", "custom_field": "video_score"}


def test_the_release_step_flags_installations_whose_credentials_lapsed(env, services):
    installation = make_installation(services, ["Assessment"])
    with services.db.session() as db:  # a Harvest API key, stored before v1/v2 were retired
        db.get(Installation, installation["id"]).credentials_encrypted = \
            services.keyring.encrypt_json({"api_key": "k", "user_id": "4080"})
    result = run(env, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"installation {installation['public_id']} needs new API credentials" in result.output
    with services.db.session() as db:
        row = db.get(Installation, installation["id"])
        assert row.status.value == "needs_attention" and "OAuth" in row.attention_reason
