"""Organizations: an id that never changes, names that stay distinct, and renames remembered."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector import accounts
from connector.models import Organization
from connector.organizations import OrganizationError, find, find_or_create
from tests.conftest import row_counts
from tests.review.conftest import PASSWORD, csrf_token_of, sign_in


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
