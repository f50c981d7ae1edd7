"""Organizations: an id that never changes, names that stay distinct, renames remembered, and
which organization the command line's --organization means."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from connector import accounts
from connector.models import Organization
from connector.organizations import OrganizationError, find, find_or_create
from tests.conftest import row_counts
from tests.review.conftest import PASSWORD, csrf_token_of, sign_in
from tests.test_cli import env, run  # noqa: F401  (env is a fixture)


@pytest.fixture
def admin(app, services):
    """Acme's admin, signed in; Globex exists too."""
    with services.db.session() as db:
        accounts.create_user(db, "Acme", "admin@acme.example", PASSWORD, "admin")
        db.add(Organization(name="Globex"))
    client = app.test_client()
    sign_in(client, "admin@acme.example")
    return client


def rename(client, name):
    return client.post("/admin/organization", data={
        "name": name, "timezone": "UTC", "logo_url": "",
        "csrf_token": csrf_token_of(client, "/admin/organization")})


def acme(services) -> Organization:
    with services.db.session() as db:
        return db.scalar(select(Organization).where(Organization.name != "Globex"))


def test_the_page_shows_the_id_and_a_rename_is_remembered(admin, services):
    before = acme(services)
    assert before.public_id.startswith("org_") and before.renamed_at is None
    assert before.public_id in admin.get("/admin/organization").get_data(as_text=True)
    assert rename(admin, "Acme").status_code == 303  # the same name: no rename
    assert acme(services).renamed_at is None
    assert rename(admin, " Acme\u200b  Ｃｏｒｐ\u202e ").status_code == 303
    after = acme(services)
    assert (after.name, after.public_id) == ("Acme Corp", before.public_id)
    assert after.renamed_at is not None


@pytest.mark.parametrize("name", ["Globex", "GLOBEX", "glo\u200bbex"])
def test_another_organizations_name_is_refused_in_any_case(admin, services, name):
    before, counts = acme(services), row_counts(services)
    response = rename(admin, name)
    assert response.status_code == 400
    assert "This name is not available" in response.get_data(as_text=True)
    after = acme(services)
    assert (after.name, after.renamed_at) == (before.name, None)
    assert row_counts(services) == counts


def test_finding_by_id_or_by_a_trustworthy_name(services):
    with services.db.session() as db:
        made = find_or_create(db, "  Initech ")
        assert (made.name, find(db, "initech"), find(db, made.public_id)) == (
            "Initech", made, made)
        made.renamed_at = made.created_at
        with pytest.raises(OrganizationError, match="was renamed by its admin"):
            find(db, "Initech")
        with pytest.raises(OrganizationError, match="was renamed by its admin"):
            find_or_create(db, "Initech")
        assert find(db, made.public_id) is made
        for reference in ("org_nope", "Nobody"):
            with pytest.raises(OrganizationError, match="no organization"):
                find(db, reference)
        with pytest.raises(OrganizationError, match="no organization 'org_nope'"):
            find_or_create(db, "org_nope")
        with pytest.raises(OrganizationError, match="an organization name is required"):
            find_or_create(db, " \u200b ")


# Which organization --organization means


def rename_as_its_admin(app, services, organization: str, new_name: str) -> None:
    """The organization's own admin renames it on the admin page."""
    email = f"admin@{organization.lower()}.example"
    with services.db.session() as db:
        accounts.create_user(db, organization, email, PASSWORD, "admin")
    admin = app.test_client()
    sign_in(admin, email)
    assert rename(admin, new_name).status_code == 303


def organization_ids(env) -> dict[str, str]:
    result = run(env, "organizations", "list")
    assert result.exit_code == 0, result.output
    return {row["name"]: row["id"] for row in json.loads(result.stdout)}


INSTALL = ["install", "greenhouse", "--name", "Main", "--trigger-stage", "Assessment",
           "--credential", "client_id=c", "--credential", "client_secret=s",
           "--credential", "user_id=1", "--organization"]
USERS_CREATE = ["users", "create", "--email", "ann@globex.example", "--password", PASSWORD,
                "--organization"]


@pytest.mark.parametrize("command", [USERS_CREATE, ["tokens", "create", "--organization"],
                                     INSTALL], ids=["users", "tokens", "install"])
def test_a_name_an_admin_took_by_renaming_is_refused(env, app, services, command):
    """An admin renamed their organization to a customer's name before the operator used it."""
    rename_as_its_admin(app, services, "Evil", "Globex")
    before = row_counts(services)
    result = run(env, *command, "Globex")
    assert result.exit_code == 1
    assert "now named 'Globex'" in result.output and "was renamed by its admin" in \
        result.output
    assert row_counts(services) == before
    assert run(env, *command, organization_ids(env)["Globex"]).exit_code == 0  # by its id


def test_the_id_survives_a_rename_and_the_new_name_is_refused(env, app, services):
    result = run(env, *USERS_CREATE, "Acme")
    assert result.exit_code == 0, result.output
    acme_id = json.loads(result.stdout)["organization_id"]
    rename_as_its_admin(app, services, "Acme", "Acme Corp")
    assert organization_ids(env) == {"Acme Corp": acme_id}
    assert run(env, "tokens", "create", "--organization", "Acme Corp").exit_code == 1
    created = run(env, "tokens", "create", "--organization", acme_id)
    assert created.exit_code == 0, created.output
    listed = run(env, "tokens", "list", "--organization", acme_id, "--json")
    assert [t["id"] for t in json.loads(listed.stdout)] == [json.loads(created.stdout)["id"]]


def test_a_name_that_matches_two_organizations_is_refused(env, services):
    with services.db.session() as db:
        db.add_all([Organization(name="Acme"), Organization(name="ACME")])
    before = row_counts(services)
    result = run(env, *USERS_CREATE, "acme")
    assert result.exit_code == 1 and "'acme' matches 2 organizations" in result.output
    assert row_counts(services) == before
    upper = organization_ids(env)["ACME"]
    result = run(env, *USERS_CREATE, upper)
    assert result.exit_code == 0 and json.loads(result.stdout)["organization"] == "ACME"


def test_an_unused_name_makes_a_new_organization_and_an_unknown_id_does_not(env, services):
    result = run(env, *USERS_CREATE, "Initech")
    assert result.exit_code == 0 and json.loads(result.stdout)["organization"] == "Initech"
    assert json.loads(run(env, *USERS_CREATE[:3], "bo@initech.example", *USERS_CREATE[4:],
                          "initech").stdout)["organization"] == "Initech"  # case aside
    before = row_counts(services)
    result = run(env, *USERS_CREATE[:3], "cy@x.example", *USERS_CREATE[4:], "org_nope")
    assert result.exit_code == 1 and "no organization 'org_nope'" in result.output
    assert row_counts(services) == before
