"""The admin's people pages: adding people, roles, deactivation, and the organization's settings."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector.admin.people import Conflict, set_active, set_role
from connector.models import Organization, Role, User
from tests.conftest import row_counts
from tests.review.conftest import PASSWORD, add_user, csrf_token_of, sign_in

ADMIN = "ann@acme.example"
REVIEWER = "rob@acme.example"
OUTSIDER = "oli@other.example"


@pytest.fixture
def people(services):
    """Acme's admin and reviewer, and an admin of another organization; ids by email."""
    add_user(services, ADMIN, role="admin", name="Ann Admin")
    add_user(services, REVIEWER, role="reviewer", name="Rob Reviewer")
    add_user(services, OUTSIDER, organization="Other", role="admin")
    with services.db.session() as db:
        return {u.email: u.id for u in db.scalars(select(User))}


@pytest.fixture
def admin(client, people):
    """A client signed in as Acme's admin."""
    sign_in(client, ADMIN)
    return client


def post(client, path, **data):
    data["csrf_token"] = csrf_token_of(client, "/admin/users")
    return client.post(path, data=data)


def state(services) -> dict[str, tuple[str, bool]]:
    """Every user's role and whether they are active, by email."""
    with services.db.session() as db:
        return {u.email: (u.role.value, u.active) for u in db.scalars(select(User))}


def password_hashes(services) -> dict[str, str]:
    with services.db.session() as db:
        return {u.email: u.password_hash for u in db.scalars(select(User))}


def new_client(app):
    return app.test_client()


# The list


def test_the_list_shows_the_organizations_people_only(admin):
    response = admin.get("/admin/users")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ADMIN in html and REVIEWER in html and "Rob Reviewer" in html
    assert OUTSIDER not in html
    assert "never" in html  # the reviewer has not signed in yet; the admin just did


def test_visitors_go_to_sign_in_and_reviewers_get_404(client, people):
    assert client.get("/admin/users").status_code == 302
    sign_in(client, REVIEWER)
    assert client.get("/admin/users").status_code == 404
    assert client.get("/admin/organization").status_code == 404
    token = csrf_token_of(client, "/account")
    response = client.post(f"/admin/users/{people[ADMIN]}/deactivate",
                           data={"csrf_token": token})
    assert response.status_code == 404


def test_a_reviewer_cannot_add_people_or_change_roles(client, services, people):
    sign_in(client, REVIEWER)
    token = csrf_token_of(client, "/account")
    before, counts = state(services), row_counts(services)
    added = client.post("/admin/users", data={"csrf_token": token, "email": "x@acme.example",
                                              "role": "admin", "password": PASSWORD})
    assert added.status_code == 404
    assert client.post(f"/admin/users/{people[REVIEWER]}/role",
                       data={"csrf_token": token, "role": "admin"}).status_code == 404
    assert client.post(f"/admin/users/{people[ADMIN]}/reset",
                       data={"csrf_token": token}).status_code == 404
    assert state(services) == before and row_counts(services) == counts


# Adding people


def test_an_admin_adds_a_reviewer_who_can_then_sign_in(admin, app, services):
    response = post(admin, "/admin/users", email=" New@Acme.example ", name="Nia New",
                    role="reviewer", password=PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/users"
    with services.db.session() as db:
        user = db.scalar(select(User).where(User.email == "new@acme.example"))
        assert (user.name, user.role, user.active) == ("Nia New", Role.REVIEWER, True)
        assert db.get(Organization, user.organization_id).name == "Acme"
    assert "Added new@acme.example." in admin.get("/admin/users").get_data(as_text=True)
    sign_in(new_client(app), "new@acme.example")


@pytest.mark.parametrize("fields, field_error", [
    ({"email": "not-an-address"}, "A valid email address is required"),
    ({"password": "short pass"}, "A password needs at least 12 characters"),
    ({"password": "123456789012"}, "A password is too easy to guess"),
    ({"role": "owner"}, "Role must be one of admin, reviewer"),
    ({"email": REVIEWER}, "already exists"),
    ({"email": OUTSIDER}, "already exists"),
    ({"name": "n" * 201}, "A name has at most 200 characters"),
])
def test_bad_input_is_a_400_that_names_the_field_and_writes_nothing(admin, services, fields,
                                                                    field_error):
    data = {"email": "new@acme.example", "name": "Nia", "role": "reviewer",
            "password": PASSWORD} | fields
    before, counts = state(services), row_counts(services)
    response = post(admin, "/admin/users", **data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error in html and 'aria-invalid="true"' in html
    assert PASSWORD not in html  # a typed password is never sent back
    assert state(services) == before and row_counts(services) == counts


# Roles and deactivation


def test_an_admin_makes_a_reviewer_an_admin_and_back(admin, app, services, people):
    rob = new_client(app)
    sign_in(rob, REVIEWER)
    assert rob.get("/admin/users").status_code == 404
    assert post(admin, f"/admin/users/{people[REVIEWER]}/role", role="admin").status_code == 303
    assert state(services)[REVIEWER] == ("admin", True)
    assert rob.get("/admin/users").status_code == 200  # the role counts from the next request
    assert post(admin, f"/admin/users/{people[REVIEWER]}/role", role="reviewer").status_code == 303
    assert state(services)[REVIEWER] == ("reviewer", True)
    assert rob.get("/admin/users").status_code == 404


def test_an_unknown_role_is_a_400(admin, services, people):
    before = state(services)
    assert post(admin, f"/admin/users/{people[REVIEWER]}/role", role="root").status_code == 400
    assert state(services) == before


def test_deactivating_refuses_sign_in_and_ends_the_open_session(admin, app, services, people):
    rob = new_client(app)
    sign_in(rob, REVIEWER)
    assert rob.get("/account").status_code == 200
    response = post(admin, f"/admin/users/{people[REVIEWER]}/deactivate")
    assert response.status_code == 303
    assert state(services)[REVIEWER] == ("reviewer", False)
    assert rob.get("/account").status_code == 302  # signed out: on to the sign-in page
    token = csrf_token_of(rob, "/login")
    refused = rob.post("/login", data={"email": REVIEWER, "password": PASSWORD,
                                       "csrf_token": token})
    assert refused.status_code == 401
    assert "deactivated" in admin.get("/admin/users").get_data(as_text=True)

    assert post(admin, f"/admin/users/{people[REVIEWER]}/reactivate").status_code == 303
    assert state(services)[REVIEWER] == ("reviewer", True)
    sign_in(rob, REVIEWER)


def test_reactivating_does_not_revive_a_cookie_from_before(admin, app, services, people):
    rob = new_client(app)
    sign_in(rob, REVIEWER)
    kept = rob.get_cookie("session").value
    assert post(admin, f"/admin/users/{people[REVIEWER]}/deactivate").status_code == 303
    assert post(admin, f"/admin/users/{people[REVIEWER]}/reactivate").status_code == 303
    thief = new_client(app)
    thief.set_cookie("session", kept)
    assert thief.get("/account").status_code == 302


@pytest.mark.parametrize("action, data, message", [
    ("deactivate", {}, "You cannot deactivate your own account"),
    ("role", {"role": "reviewer"}, "You cannot change your own role"),
])
def test_an_admin_cannot_lock_themselves_out(admin, services, people, action, data, message):
    before, counts = state(services), row_counts(services)
    response = post(admin, f"/admin/users/{people[ADMIN]}/{action}", **data)
    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    assert state(services) == before and row_counts(services) == counts
    assert admin.get("/admin/users").status_code == 200


@pytest.mark.parametrize("change", [
    lambda db, user: set_role(db, user, Role.REVIEWER, acting_user_id=None),
    lambda db, user: set_active(db, user, False, acting_user_id=None),
])
def test_the_last_active_admin_is_never_demoted_or_deactivated(services, people, change):
    # Through the pages the actor is always an active admin, so this guards the race where two
    # admins remove each other at once; here the change comes from outside (the CLI's view).
    add_user(services, "old@acme.example", role="admin")
    with services.db.session() as db:
        old = db.scalar(select(User).where(User.email == "old@acme.example"))
        old.active = False  # an inactive admin does not count
    before = state(services)
    with services.db.session() as db:
        ann = db.get(User, people[ADMIN])
        with pytest.raises(Conflict, match="last active admin"):
            change(db, ann)
    assert state(services) == before


def test_with_two_admins_one_may_demote_the_other(admin, services, people):
    add_user(services, "ada@acme.example", role="admin")
    with services.db.session() as db:
        ada = db.scalar(select(User.id).where(User.email == "ada@acme.example"))
    assert post(admin, f"/admin/users/{ada}/role", role="reviewer").status_code == 303
    assert post(admin, f"/admin/users/{ada}/deactivate").status_code == 303
    assert state(services)["ada@acme.example"] == ("reviewer", False)


@pytest.mark.parametrize("action, data", [
    ("deactivate", {}), ("reactivate", {}), ("role", {"role": "reviewer"}), ("reset", {}),
])
def test_another_organizations_user_is_not_found(admin, services, people, action, data):
    before, passwords = state(services), password_hashes(services)
    response = post(admin, f"/admin/users/{people[OUTSIDER]}/{action}", **data)
    assert response.status_code == 404
    assert post(admin, f"/admin/users/999999/{action}", **data).status_code == 404
    assert state(services) == before and password_hashes(services) == passwords


def test_a_form_without_its_csrf_token_is_refused(admin, services, people):
    before = state(services)
    response = admin.post(f"/admin/users/{people[REVIEWER]}/deactivate")
    assert response.status_code == 400
    assert state(services) == before


# Landing after sign-in


def test_an_admin_lands_in_the_admin_app_and_a_reviewer_where_they_did(app, people):
    admin, rob = new_client(app), new_client(app)
    token = csrf_token_of(admin, "/login")
    landed = admin.post("/login", data={"email": ADMIN, "password": PASSWORD,
                                        "csrf_token": token}).headers["Location"]
    assert landed in ("/admin", "/admin/users")
    token = csrf_token_of(rob, "/login")
    landed = rob.post("/login", data={"email": REVIEWER, "password": PASSWORD,
                                      "csrf_token": token}).headers["Location"]
    assert not landed.startswith("/admin")


# The organization


def organization(services, name="Acme") -> tuple[str, str, str | None]:
    with services.db.session() as db:
        org = db.scalar(select(Organization).where(Organization.name == name))
        return org.name, org.timezone, org.logo_url


def test_an_admin_edits_the_organization(admin, services):
    page = admin.get("/admin/organization").get_data(as_text=True)
    assert 'value="Acme"' in page and 'value="UTC"' in page
    response = post(admin, "/admin/organization", name="  Acme   Corp ",
                    timezone="Europe/Berlin", logo_url="https://cdn.acme.example/logo.png")
    assert response.status_code == 303
    assert organization(services, "Acme Corp") == (
        "Acme Corp", "Europe/Berlin", "https://cdn.acme.example/logo.png")
    assert "Acme Corp" in admin.get("/admin/users").get_data(as_text=True)  # the top bar
    assert post(admin, "/admin/organization", name="Acme Corp", timezone="UTC",
                logo_url="").status_code == 303
    assert organization(services, "Acme Corp") == ("Acme Corp", "UTC", None)


@pytest.mark.parametrize("fields, message", [
    ({"timezone": "Mars/Olympus"}, "Enter an IANA time zone"),
    ({"timezone": "../../etc/passwd"}, "Enter an IANA time zone"),
    ({"timezone": ""}, "Enter an IANA time zone"),
    ({"logo_url": "javascript:alert(1)"}, "Enter an https:// address"),
    ({"logo_url": "ftp://acme.example/logo.png"}, "Enter an https:// address"),
    ({"logo_url": "http://acme.example/logo.png"}, "Enter an https:// address"),
    ({"logo_url": "https://"}, "Enter an https:// address"),
    ({"name": "   "}, "Enter a name"),
    ({"name": "Other"}, "This name is not available"),
])
def test_bad_organization_settings_are_a_400_and_change_nothing(admin, services, fields, message):
    before, counts = organization(services), row_counts(services)
    data = {"name": "Acme", "timezone": "Europe/Paris", "logo_url": ""} | fields
    response = post(admin, "/admin/organization", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert organization(services) == before and row_counts(services) == counts
