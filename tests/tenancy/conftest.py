"""Two organizations, each with a full set of rows, to show that neither reaches the other's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from connector import accounts, crypto
from connector.models import (
    ApiToken,
    Email,
    Installation,
    Interview,
    InterviewTemplate,
    Push,
    Question,
    User,
    WebhookDelivery,
)
from connector.review import invitations
from tests.conftest import fixture_body, make_installation, signed_post
from tests.review.conftest import PASSWORD, sign_in


@dataclass
class Tenant:
    """One organization's rows, by the ids its URLs use."""

    name: str
    installation: dict
    session_id: int = 0
    session_public_id: str = ""
    candidate_token: str = ""
    share_token: str = ""
    share_link_id: str = ""
    invitation_token: str = ""
    invitation_id: str = ""
    template_id: int = 0
    push_id: int = 0
    delivery_id: int = 0
    admin_email: str = ""
    reviewer_email: str = ""
    user_id: int = 0
    api_token: str = ""
    api_token_id: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def installation_id(self) -> int:
        return self.installation["id"]

    def signed_in(self, app, role: str = "admin"):
        """A test client signed in as this organization's admin (or reviewer)."""
        client = app.test_client()
        sign_in(client, self.admin_email if role == "admin" else self.reviewer_email)
        return client


def make_tenant(app, services, name: str) -> Tenant:
    """An organization with an installation, an invited candidate, a share link, a reviewer
    invitation, a template, a push, a delivery, an admin, a reviewer and an API token."""
    slug = name.lower()
    tenant = Tenant(name, make_installation(services, ["Assessment"], organization=name,
                                            name=f"{name} Greenhouse"))
    signed_post(app.test_client(), tenant.installation,
                fixture_body("greenhouse", "candidate_stage_change"), event_id=f"evt-{slug}")
    with services.db.session() as db:
        installation = db.get(Installation, tenant.installation_id)
        interview = db.scalars(select(Interview).where(
            Interview.installation_id == installation.id)).one()
        tenant.session_id, tenant.session_public_id = interview.id, interview.public_id
        email = db.scalars(select(Email).where(Email.session_id == interview.id)).one()
        tenant.candidate_token = re.search(r"/interview/([A-Za-z0-9_-]{43})",
                                           email.text_body)[1]
        link, tenant.share_token = accounts.create_share_link(
            db, services.keyring, interview, can_score=False, days=7)
        tenant.share_link_id = link.public_id
        invitation, _ = invitations.invite(db, services.keyring, interview,
                                           f"guest@{slug}-partner.example", f"{name} Guest",
                                           services.settings.public_base_url)
        tenant.invitation_id = invitation.public_id
        tenant.invitation_token = services.keyring.decrypt(invitation.token_encrypted)
        tenant.push_id = db.scalars(select(Push.id).where(
            Push.installation_id == installation.id)).first()
        tenant.delivery_id = db.scalars(select(WebhookDelivery.id).where(
            WebhookDelivery.installation_id == installation.id)).one()
        template = InterviewTemplate(organization_id=installation.organization_id,
                                     name=f"{name} screen", rubric=[], questions=[
                                         Question(position=0, prompt="Why us?")])
        db.add(template)
        db.flush()
        tenant.template_id = template.id
        tenant.api_token = f"cnk_{slug}_{crypto.new_token()}"
        token = ApiToken(organization_id=installation.organization_id, name="tenancy",
                         prefix=tenant.api_token[:12], token_hash=crypto.hash_token(
                             tenant.api_token))
        db.add(token)
        db.flush()
        tenant.api_token_id = token.id
        organization = installation.organization.name
    tenant.admin_email, tenant.reviewer_email = f"admin@{slug}.example", f"rev@{slug}.example"
    with services.db.session() as db:
        accounts.create_user(db, organization, tenant.admin_email, PASSWORD, "admin")
        accounts.create_user(db, organization, tenant.reviewer_email, PASSWORD, "reviewer")
        tenant.user_id = db.scalars(select(User.id).where(
            User.email == tenant.reviewer_email)).one()
    return tenant


@pytest.fixture
def acme(app, services, greenhouse) -> Tenant:
    return make_tenant(app, services, "Acme")


@pytest.fixture
def globex(app, services, greenhouse, acme) -> Tenant:
    return make_tenant(app, services, "Globex")
