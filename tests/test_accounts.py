"""Accounts and share links: argon2 passwords, sign-in checks, expiring revocable links, CLI."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select, text

from connector import accounts, crypto
from connector.accounts import AccessError
from connector.cli import main
from connector.models import (
    Base,
    Installation,
    Interview,
    InterviewTemplate,
    LinkPurpose,
    Organization,
    Role,
    ShareLink,
    User,
    utcnow,
)
from tests.conftest import make_installation, row_counts

PASSWORD = "correct horse battery"


def add_user(services, email="ann@example.com", password=PASSWORD, role=Role.REVIEWER,
             organization="Acme", name="Ann", active=True) -> int:
    with services.db.session() as session:
        user = accounts.create_user(session, organization, email, password, role, name)
        user.active = active
        return user.id


def add_interview(services, organization="Acme") -> str:
    """A session of the organization's installation (made on first use); its public id."""
    with services.db.session() as session:
        installation_id = session.scalar(select(Installation.id).join(Organization).where(
            Organization.name == organization))
    if installation_id is None:
        installation_id = make_installation(services, ["Assessment"], organization=organization,
                                            name=f"{organization} Greenhouse")["id"]
    with services.db.session() as session:
        template = session.scalar(select(InterviewTemplate).where(InterviewTemplate.is_builtin))
        interview = Interview(
            public_id=crypto.new_public_id("iv"), installation_id=installation_id,
            template_id=template.id, ats_application_id=crypto.new_token()[:10],
            ats_candidate_id="c1", stage_entry="Assessment:1", candidate_name="Pat Doe",
            candidate_email="pat@example.com", job_title="Engineer",
            token_hash=crypto.hash_token(crypto.new_token()), token_encrypted="x",
            deadline_at=utcnow() + timedelta(days=3))
        session.add(interview)
        session.flush()
        return interview.public_id


def all_values(services) -> list[str]:
    """Every value of every column of every table, as text."""
    with services.db.session() as session:
        return [str(value) for table in Base.metadata.sorted_tables
                for row in session.execute(text(f"SELECT * FROM {table.name}"))
                for value in row]


def share(services, public_id, can_score=False, days=14, now=None):
    with services.db.session() as session:
        interview = session.scalar(select(Interview)
                                   .where(Interview.public_id == public_id))
        link, token = accounts.create_share_link(session, services.keyring, interview,
                                                 can_score=can_score, days=days, now=now)
        return link.public_id, token


def test_a_password_is_stored_as_argon2id_and_nowhere_in_clear(services):
    user_id = add_user(services)
    with services.db.session() as session:
        user = session.get(User, user_id)
        assert user.password_hash.startswith("$argon2id$")
        assert PasswordHasher().verify(user.password_hash, PASSWORD)
        raw = session.execute(text("SELECT * FROM users")).one()
    assert all(PASSWORD not in str(value) for value in raw)
    assert not [v for v in all_values(services) if PASSWORD in v]


def test_emails_are_lower_cased_and_an_organization_is_created_once(services):
    add_user(services, email="  Ann@Example.COM ")
    add_user(services, email="bob@example.com", role="admin")
    with services.db.session() as session:
        users = session.scalars(select(User).order_by(User.id)).all()
        assert [u.email for u in users] == ["ann@example.com", "bob@example.com"]
        assert [u.role for u in users] == [Role.REVIEWER, Role.ADMIN]
        assert session.scalars(select(Organization.name)).all() == ["Acme"]


@pytest.mark.parametrize("changes, message", [
    ({"password": "short pass"}, "a password needs at least 12 characters"),
    ({"email": "not-an-address"}, "a valid email address is required"),
    ({"email": "ann @example.com"}, "a valid email address is required"),
    ({"role": "owner"}, "role must be one of admin, reviewer"),
    ({"organization_name": "  "}, "an organization name is required"),
    ({"email": "ANN@example.com"}, "a user with the email 'ann@example.com' already exists"),
])
def test_create_user_refuses_bad_input_and_writes_nothing(services, changes, message):
    add_user(services)
    before = row_counts(services)
    values = {"organization_name": "Globex", "email": "cy@example.com", "password": PASSWORD,
              "role": "reviewer", **changes}
    with pytest.raises(AccessError, match=message), services.db.session() as session:
        accounts.create_user(session, **values)
    assert row_counts(services) == before


def test_authenticate_right_wrong_unknown_and_inactive(services):
    add_user(services)
    add_user(services, email="gone@example.com", active=False)
    with services.db.session() as session:
        user = accounts.authenticate(session, " ANN@example.com", PASSWORD)
        assert user is not None and user.email == "ann@example.com"
        assert user.last_login_at is not None
        assert accounts.authenticate(session, "ann@example.com", PASSWORD + "!") is None
        assert accounts.authenticate(session, "ann@example.com", "") is None
        assert accounts.authenticate(session, "nobody@example.com", PASSWORD) is None
        assert accounts.authenticate(session, "gone@example.com", PASSWORD) is None


def test_an_unknown_email_costs_a_hash_check_too(services, monkeypatch):
    checked = []
    real = accounts._verify
    monkeypatch.setattr(accounts, "_verify", lambda h, p: checked.append(h) or real(h, p))
    with services.db.session() as session:
        assert accounts.authenticate(session, "nobody@example.com", PASSWORD) is None
    assert len(checked) == 1 and checked[0].startswith("$argon2id$")


def test_a_hash_with_old_parameters_is_replaced_on_sign_in(services):
    user_id = add_user(services)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with services.db.session() as session:
        session.get(User, user_id).password_hash = weak
    with services.db.session() as session:
        assert accounts.authenticate(session, "ann@example.com", PASSWORD) is not None
    with services.db.session() as session:
        stored = session.get(User, user_id).password_hash
    assert stored != weak and not accounts.HASHER.check_needs_rehash(stored)
    assert accounts.HASHER.verify(stored, PASSWORD)


def test_a_share_link_stores_only_the_hash_and_an_encrypted_copy(services):
    link_id, token = share(services, add_interview(services))
    with services.db.session() as session:
        link = session.scalar(select(ShareLink).where(ShareLink.public_id == link_id))
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert accounts.share_link_token(services.keyring, link) == token
        assert link.purpose is LinkPurpose.MANUAL
        assert timedelta(days=14) - (link.expires_at - utcnow()) < timedelta(minutes=1)
        assert accounts.find_share_link(session, token).id == link.id
    assert not [v for v in all_values(services) if token in v]


def test_a_share_link_stops_working_when_expired_revoked_or_unknown(services):
    public_id = add_interview(services)
    link_id, token = share(services, public_id, days=2)
    with services.db.session() as session:
        assert accounts.find_share_link(session, token, utcnow() + timedelta(days=1)) is not None
        assert accounts.find_share_link(session, token, utcnow() + timedelta(days=2, seconds=1)) \
            is None
        assert accounts.find_share_link(session, token[:-1]) is None
        assert accounts.find_share_link(session, token * 3) is None
        assert accounts.find_share_link(session, "") is None
        first = accounts.revoke_share_link(session, link_id).revoked_at
    with services.db.session() as session:
        assert accounts.find_share_link(session, token) is None
        assert accounts.revoke_share_link(session, link_id).revoked_at == first  # idempotent


def test_revoking_is_scoped_to_the_organization(services):
    link_id, _ = share(services, add_interview(services, organization="Acme"))
    add_interview(services, organization="Globex")
    with services.db.session() as session:
        acme_id, globex_id = (session.scalar(select(Organization.id).where(
            Organization.name == name)) for name in ("Acme", "Globex"))
        with pytest.raises(AccessError, match="no share link"):
            accounts.revoke_share_link(session, link_id, organization_id=globex_id)
        with pytest.raises(AccessError, match="no share link 'share_nope'"):
            accounts.revoke_share_link(session, "share_nope")
        assert accounts.revoke_share_link(session, link_id, organization_id=acme_id).revoked_at


def test_share_link_refusals(services):
    public_id = add_interview(services, organization="Acme")
    other = add_user(services, email="x@globex.example", organization="Globex")
    before = row_counts(services)
    with services.db.session() as session:
        interview = session.scalar(select(Interview)
                                   .where(Interview.public_id == public_id))
        for days in (0, accounts.MAX_SHARE_DAYS + 1):
            with pytest.raises(AccessError, match="1 to 90 days"):
                accounts.create_share_link(session, services.keyring, interview, False, days)
        with pytest.raises(AccessError, match="their own organization"):
            accounts.create_share_link(session, services.keyring, interview, False, 14,
                                       created_by=session.get(User, other))
        with pytest.raises(AccessError, match="only shows the answers and the scores"):
            accounts.create_share_link(session, services.keyring, interview, True, 14)
    assert row_counts(services) == before


def test_share_link_url():
    assert accounts.share_link_url("https://c.test/", "tok") == "https://c.test/review/shared/tok"


# The command line


@pytest.fixture
def env(settings):
    return {"DATABASE_URL": settings.database_url, "SECRET_KEYS": settings.secret_keys[0],
            "PUBLIC_BASE_URL": settings.public_base_url,
            "CONNECTOR_DATA_DIR": str(settings.data_dir), "REDIS_URL": "", "SMTP_URL": ""}


def run(env, *args, stdin=None):
    return CliRunner().invoke(main, list(args), env=env, input=stdin, catch_exceptions=False)


def test_users_create_prints_the_user_and_never_the_password(env, services):
    result = run(env, "users", "create", "--email", "Ann@Example.com", "--password", PASSWORD,
                 "--role", "admin", "--organization", "Acme", "--name", "Ann Lee")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) == {"id", "email", "role", "organization", "organization_id"}
    assert (printed["email"], printed["role"], printed["organization"]) == (
        "ann@example.com", "admin", "Acme")
    assert printed["organization_id"].startswith("org_")
    assert PASSWORD not in result.output
    with services.db.session() as session:
        assert accounts.authenticate(session, "ann@example.com", PASSWORD).id == printed["id"]


def test_users_create_asks_for_the_password_when_left_out(env, services):
    result = run(env, "users", "create", "--email", "bo@example.com", "--organization", "Acme",
                 stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["role"] == "reviewer"
    assert PASSWORD not in result.output


@pytest.mark.parametrize("args, code, message", [
    (["--password", "too short"], 1, "a password needs at least 12 characters"),
    (["--email", "nope"], 1, "a valid email address is required"),
    (["--email", "ANN@example.com"], 1, "already exists"),
    (["--role", "owner"], 2, "Invalid value for '--role'"),
    (["--organization", " "], 1, "an organization name is required"),
])
def test_users_create_refuses_bad_input_and_writes_nothing(env, services, args, code, message):
    add_user(services)
    before = row_counts(services)
    base = {"--email": "cy@example.com", "--password": PASSWORD, "--role": "reviewer",
            "--organization": "Globex"}
    base.update(dict(zip(args[::2], args[1::2])))
    result = run(env, "users", "create", *[part for pair in base.items() for part in pair])
    assert result.exit_code == code and message in result.output
    assert PASSWORD not in result.output
    assert row_counts(services) == before


def test_sessions_share_prints_a_working_link_and_unshare_stops_it(env, services):
    public_id = add_interview(services)
    result = run(env, "sessions", "share", public_id, "--days", "3")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) == {"url", "expires_at", "id"}
    assert printed["id"].startswith("share_")
    assert printed["url"].startswith("https://connector.test/review/shared/")
    token = printed["url"].rsplit("/", 1)[1]
    with services.db.session() as session:
        link = accounts.find_share_link(session, token)
        assert (link.public_id, link.session.public_id) == (printed["id"], public_id)
        assert link.expires_at.isoformat() == printed["expires_at"]

    result = run(env, "sessions", "unshare", printed["id"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == printed["id"]
    with services.db.session() as session:
        assert accounts.find_share_link(session, token) is None


def test_a_share_link_from_the_command_line_lasts_14_days_by_default(env, services):
    result = run(env, "sessions", "share", add_interview(services))
    printed = json.loads(result.stdout)
    assert timedelta(days=13, hours=23) < (
        datetime.fromisoformat(printed["expires_at"]) - utcnow()) <= timedelta(days=14)


@pytest.mark.parametrize("args, code, message", [
    (["sessions", "share", "iv_unknown"], 1, "no interview session 'iv_unknown'"),
    (["sessions", "share", "{session}", "--can-score"], 1, "invite them as a reviewer"),
    (["sessions", "share", "{session}", "--days", "0"], 2, "Invalid value for '--days'"),
    (["sessions", "share", "{session}", "--days", "91"], 2, "Invalid value for '--days'"),
    (["sessions", "unshare", "share_unknown"], 1, "no share link 'share_unknown'"),
])
def test_share_commands_refuse_bad_input_and_write_nothing(env, services, args, code, message):
    public_id = add_interview(services)
    before = row_counts(services)
    result = run(env, *[a.format(session=public_id) for a in args])
    assert result.exit_code == code and message in result.output
    assert row_counts(services) == before
