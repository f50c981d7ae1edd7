"""The records of processing: what is held, where, how long and how much, per organization."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import func, select

from connector.cli import main
from connector.models import (
    Actor, Answer, AnswerKind, ErasureReason, Interview, InterviewTemplate, Organization,
    OutboxStatus, Push,
)
from connector.organizations import find_or_create
from connector.privacy import records, retention
from connector.privacy.erasure import Person, Who, erase
from tests.conftest import make_installation
from tests.privacy.conftest import EMAIL, NEEDLES

# What the `person` fixture leaves held: one interview, two recordings and a written answer,
# consent, one scorecard with a comment, the invitation e-mail, the webhook that invited them,
# and Ana, the admin who scored (the notes to the ATS are delivered: none waits).
HELD_BY_THE_PERSON = {
    "interviews": 1, "anonymous_records": 0, "recordings": 2, "written_answers": 1,
    "consents": 1, "accommodation_requests": 0, "scorecards": 1, "comments": 1, "emails": 1,
    "pushes_not_yet_sent": 0, "deliveries_with_body": 1, "users": 1,
    "reviewer_invitations": 0, "access_log_lines": 0, "erasure_receipts": 0,
}


def report_of(services, organization: str) -> records.Record:
    with services.db.session() as session:
        org = session.scalar(select(Organization).where(Organization.name == organization))
        found = records.report(session, "the directory /r", org.id)
    assert [r.organization for r in found] == [organization]
    return found[0]


def held(record: records.Record) -> dict[str, int]:
    """Every count of the record, installations' and organization-wide, in one mapping."""
    counts = {}
    for category in [c for i in record.installations for c in i.categories] \
            + record.organization_wide:
        counts.update(category.held)
    return counts


def test_the_report_counts_what_the_person_left(services, person):
    record = report_of(services, "Acme")
    assert [(i.name, i.ats, i.ats_name) for i in record.installations] == [
        ("Acme Greenhouse", "greenhouse", "Greenhouse")]
    with services.db.session() as session:
        stored_bytes = session.scalar(select(func.sum(Answer.size_bytes)).where(
            Answer.kind != AnswerKind.TEXT))
    assert held(record) == HELD_BY_THE_PERSON | {"recording_bytes": stored_bytes}
    assert stored_bytes > 8000  # the two recordings' chunks
    categories = {c.key: c for c in record.installations[0].categories}
    assert "under 1/" in categories["recordings"].where[0]
    assert (categories["webhook_bodies"].kept_days, categories["recordings"].kept_days) == (
        retention.DELIVERY_BODY_DAYS, 180)


def test_a_waiting_push_and_an_accommodation_request_are_counted(services, person):
    with services.db.session() as session:
        session.scalars(select(Push)).first().status = OutboxStatus.HELD
        session.get(Interview, person["interview_id"]).accommodation_request = "More time"
    counts = held(report_of(services, "Acme"))
    assert (counts["pushes_not_yet_sent"], counts["accommodation_requests"]) == (1, 1)


def test_after_an_erasure_the_report_counts_an_anonymous_record_and_a_receipt(services, person):
    with services.db.session() as session:
        org = find_or_create(session, "Acme").id
    erase(services.db, services.storage, Person(org, emails={EMAIL}),
          Who(ErasureReason.OPERATOR, Actor.OPERATOR, "root"))
    counts = held(report_of(services, "Acme"))
    assert {k: counts[k] for k in ("interviews", "anonymous_records", "recordings",
                                   "recording_bytes", "written_answers", "comments", "emails",
                                   "erasure_receipts", "access_log_lines")} == {
        "interviews": 0, "anonymous_records": 1, "recordings": 0, "recording_bytes": 0,
        "written_answers": 0, "comments": 0, "emails": 0, "erasure_receipts": 1,
        "access_log_lines": 1}


def test_a_template_override_and_the_settings_are_listed(services, person):
    with services.db.session() as session:
        org = find_or_create(session, "Acme")
        org.retention_days, org.access_log_days, org.privacy_contact = 90, 365, "dpo@acme.test"
        session.add(InterviewTemplate(organization_id=org.id, name="Engineers",
                                      retention_days=400))
    record = report_of(services, "Acme")
    assert (record.retention_days, record.template_retention, record.privacy_contact,
            record.access_log_days) == (90, {"Engineers": 400}, "dpo@acme.test", 365)
    recordings = record.installations[0].categories[1]
    assert recordings.kept == (
        "90 days after the interview is decided, expired or cancelled; "
        "400 days for template “Engineers”")
    assert record.organization_wide[1].kept_days == 365


def test_another_organizations_report_holds_none_of_it(services, person):
    make_installation(services, ["Assessment"], organization="Globex", name="Globex Board")
    record = report_of(services, "Globex")
    assert [i.name for i in record.installations] == ["Globex Board"]
    assert set(held(record).values()) == {0}
    text = json.dumps(record.as_dict())
    assert not [n for n in NEEDLES + ["Acme", person["public_id"]] if n in text]


def test_every_organization_without_one_named(services, person):
    make_installation(services, ["Assessment"], organization="Globex", name="Globex Board")
    with services.db.session() as session:
        found = records.report(session, "the directory /r")
    assert [r.organization for r in found] == ["Acme", "Globex"]


def test_counts_read_as_words():
    category = records.Category("k", "K", "", [], "", None, {
        "interviews": 1, "anonymous_records": 0, "recording_bytes": 2_500_000})
    assert records.held_in_words(category) == "1 interview, 0 anonymous records, 2.5 MB"


def test_storage_is_described_without_credentials():
    assert records.describe_storage("file:///var/rec%20s") == "the directory /var/rec s"
    assert records.describe_storage("s3://media/interviews", "https://key:pw@s3.example:9000") \
        == "the S3 bucket media, prefix interviews/, at s3.example"
    assert records.describe_storage("s3://media") == "the S3 bucket media"


# The command line ---------------------------------------------------------------------------

def run(settings, *args):
    env = {"DATABASE_URL": settings.database_url, "SECRET_KEYS": settings.secret_keys[0],
           "CONNECTOR_DATA_DIR": str(settings.data_dir), "REDIS_URL": "", "SMTP_URL": "",
           "RECORDINGS_URL": ""}
    return CliRunner().invoke(main, ["privacy", "report", *args], env=env)


def test_the_command_prints_a_table(settings, services, person):
    result = run(settings, "--organization", "Acme")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Acme (org_")
    assert "Acme Greenhouse (Greenhouse, inst_" in out
    assert "retention: 180 days after the interview is decided, expired or cancelled" in out
    assert f"where: recording storage: the directory {settings.data_dir.resolve()}/recordings" \
        in out
    assert "Recordings (video and audio)       2 recordings, 10.1 kB" in out
    assert "Erasure receipts                   0 receipts" in out
    assert not [n for n in NEEDLES if n in out]


def test_the_command_prints_json(settings, services, person):
    result = run(settings, "--json")
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert record["organization"] == "Acme" and record["retention_days"] == 180
    (installation,) = record["installations"]
    counts = {c["key"]: c["held"] for c in installation["categories"]}
    assert counts["recordings"]["recordings"] == 2
    assert counts["written_answers"] == {"written_answers": 1}


def test_an_unknown_organization_is_refused(settings, services):
    result = run(settings, "--organization", "org_nobody")
    assert result.exit_code == 1
    assert "no organization 'org_nobody'" in result.output


# The admin page -----------------------------------------------------------------------------

def test_the_page_shows_the_records_and_the_settings(client, services, person):
    response = client.get("/admin/privacy")  # the person fixture signed Ana, an admin, in
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert '<a href="/admin/privacy">Privacy</a>' in page  # in the navigation
    for href in ("/admin/privacy/settings", "/admin/access-log", "/admin/erasures"):
        assert f'href="{href}"' in page
    assert "Acme Greenhouse" in page and "2 recordings, 10.1 kB" in page
    assert "1 interview, 0 anonymous records" in page
    assert "180 days after an interview is decided" in page
    assert "No automated scoring exists" in page and "emotions" in page
    assert not [n for n in NEEDLES if n in page]


def test_a_reviewer_gets_404(user_client, services, person):
    assert user_client("Acme", "reviewer").get("/admin/privacy").status_code == 404


def test_another_organizations_admin_sees_only_their_own(admin_client, services, person):
    make_installation(services, ["Assessment"], organization="Globex", name="Globex Board")
    page = admin_client("Globex").get("/admin/privacy").get_data(as_text=True)
    assert "Globex Board" in page
    assert "Acme" not in page and "0 interviews, 0 anonymous records" in page
