"""Personal reviewer invitations: e-mailed to one address, scoring as that reviewer only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from connector.models import (
    Base,
    Email,
    Interview,
    OutboxStatus,
    ReviewerInvitation,
    Scorecard,
    utcnow,
)
from connector.outbox import links, mail
from connector.review import invitations
from tests.conftest import row_counts
from tests.review.conftest import add_user, csrf_token_of, score_form, sign_in


@pytest.fixture
def admin(app, services, completed):
    """Acme's admin, signed in on the review page."""
    add_user(services, "admin@acme.example", role="admin", name="Ada Admin")
    client = app.test_client()
    sign_in(client, "admin@acme.example")
    return client


def invite(client, public_id, email="dana@partner.example", name="Dana Scully"):
    path = f"/review/sessions/{public_id}/invitations"
    return client.post(path, data={"email": email, "name": name,
                                   "csrf_token": csrf_token_of(client, path.rsplit("/", 1)[0])})


def invitation_link(services, address="dana@partner.example") -> str:
    """The link in the newest invitation e-mail to the address (held whole: no SMTP server)."""
    with services.db.session() as db:
        email = db.scalars(select(Email).where(Email.to_address == address)
                           .order_by(Email.id.desc())).first()
        assert email.kind == "reviewer_invitation" and email.status is OutboxStatus.HELD
        return re.search(r"/review/shared/[A-Za-z0-9_-]{43}", email.text_body)[0]


def test_an_admin_invites_a_reviewer_who_scores_once_as_themselves(admin, app, services,
                                                                    completed, greenhouse):
    response = invite(admin, completed)
    assert response.status_code == 303
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invitation e-mailed to dana@partner.example." in page
    assert "Dana Scully (dana@partner.example): link works until" in page
    with services.db.session() as db:
        email = db.scalars(select(Email).where(Email.kind == "reviewer_invitation")).one()
        assert email.subject == "Review Giuseppe Hurley's video interview for Acme"
        assert "whoever opens it scores as you" in email.text_body
    link = invitation_link(services)

    dana = app.test_client()
    html = dana.get(link).get_data(as_text=True)
    assert "Scoring as Dana Scully." in html and "Your name" not in html
    assert score_form(dana, link).status_code == 303
    after = dana.get(link).get_data(as_text=True)
    assert "1 reviewer: Dana Scully." in after and "Dana Scully (you)" in after
    again = score_form(dana, link, recommendation="strong_no")
    assert again.status_code == 422 and "already submitted" in again.get_data(as_text=True)
    with services.db.session() as db:
        (card,) = db.scalars(select(Scorecard)).all()
        invitation = db.scalars(select(ReviewerInvitation)).one()
        assert (card.invitation_id, card.reviewer_key, card.recommendation.value) == (
            invitation.id, f"invitation:{invitation.id}", "yes")
    (note,) = [n["body"] for n in greenhouse.notes if "scores for" in n["body"]]
    assert "Reviewed by Dana Scully." in note


def test_the_token_is_kept_hashed_and_encrypted_and_filled_in_only_to_send(services, completed):
    with services.db.session() as db:
        interview = db.scalars(select(Interview)).one()
        invitation, email = invitations.invite(db, services.keyring, interview,
                                               "Dana@Partner.example", "Dana",
                                               "https://connector.test")
        token = services.keyring.decrypt(invitation.token_encrypted)
        email_id = email.id
    assert len(token) == 43  # 256 bits
    with services.db.session() as db:
        values = [str(v) for table in Base.metadata.sorted_tables
                  for row in db.execute(text(f"SELECT * FROM {table.name}")) for v in row]
        assert not [v for v in values if token in v]
        email = db.get(Email, email_id)
        assert email.to_address == "dana@partner.example"
        assert "/review/shared/[personal-link]" in email.text_body
        assert mail.link_token(db, email, services.keyring) == token
        assert f"/review/shared/{token}" in links.with_link(email.html_body, token)
        assert invitations.find_invitation(db, token).email == "dana@partner.example"


@pytest.mark.parametrize("spoil", ["revoked", "expired"])
def test_a_revoked_or_expired_invitation_opens_nothing(admin, app, services, completed, spoil):
    invite(admin, completed)
    link = invitation_link(services)
    if spoil == "revoked":
        with services.db.session() as db:
            public_id = db.scalars(select(ReviewerInvitation.public_id)).one()
        path = f"/review/sessions/{completed}/invitations/{public_id}/revoke"
        response = admin.post(path, data={"csrf_token": csrf_token_of(
            admin, f"/review/sessions/{completed}")})
        assert response.status_code == 303
        assert "revoked" in admin.get(response.headers["Location"]).get_data(as_text=True)
    else:
        with services.db.session() as db:
            db.scalars(select(ReviewerInvitation)).one().expires_at = utcnow()
    dana = app.test_client()
    assert dana.get(link).status_code == 404
    before = row_counts(services)
    assert score_form(dana, link).status_code == 404
    assert row_counts(services) == before


def test_inviting_the_address_again_sends_a_new_link_and_keeps_the_scorecard(
        admin, app, services, completed):
    invite(admin, completed)
    first = invitation_link(services)
    dana = app.test_client()
    assert score_form(dana, first, action="save", comments="Half way.").status_code == 303
    assert invite(admin, completed, email="DANA@partner.example").status_code == 303
    second = invitation_link(services)
    assert second != first and dana.get(first).status_code == 404
    assert "Half way." in dana.get(second).get_data(as_text=True)  # the same reviewer's draft
    with services.db.session() as db:
        assert len(db.scalars(select(ReviewerInvitation)).all()) == 1
        assert len(db.scalars(select(Email).where(Email.kind == "reviewer_invitation")).all()) \
            == 2


@pytest.mark.parametrize("email, name, message", [
    ("not-an-address", "Dana", "A valid email address is required"),
    ("dana@partner.example", " \u200b ", "name is required (it is shown on their scorecard)"),
    ("Ana@Acme.example", "Ana", "ana@acme.example belongs to an account in this organization"),
])
def test_a_bad_invitation_is_a_400_and_writes_nothing(admin, services, completed, email, name,
                                                      message):
    add_user(services, "ana@acme.example", name="Ana")
    before = row_counts(services)
    response = invite(admin, completed, email=email, name=name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert row_counts(services) == before


def test_a_reviewer_cannot_invite_or_revoke(app, services, completed):
    add_user(services, "ana@acme.example", name="Ana")
    ana = app.test_client()
    sign_in(ana, "ana@acme.example")
    assert "E-mail a personal link" not in ana.get(
        f"/review/sessions/{completed}").get_data(as_text=True)
    before = row_counts(services)
    assert invite(ana, completed).status_code == 403
    assert row_counts(services) == before


def test_an_invited_name_is_shown_normalised(admin, app, services, completed):
    invite(admin, completed, name="  \u202eDana\u200b   Ｓｃｕｌｌｙ\u2066 ")
    link = invitation_link(services)
    assert score_form(app.test_client(), link).status_code == 303
    with services.db.session() as db:
        assert db.scalars(select(ReviewerInvitation.name)).one() == "Dana Scully"
        assert db.scalars(select(Scorecard.reviewer_name)).one() == "Dana Scully"
        email = db.scalars(select(Email).where(Email.kind == "reviewer_invitation")).one()
        assert email.text_body.startswith("Hello Dana Scully,")


def test_an_invitation_lasts_1_to_90_days(services, completed):
    with services.db.session() as db:
        interview = db.scalars(select(Interview)).one()
        for days in (0, 91):
            with pytest.raises(invitations.AccessError, match="1 to 90 days"):
                invitations.invite(db, services.keyring, interview, "d@x.example", "D",
                                   "https://connector.test", days=days)
        invitation, _ = invitations.invite(db, services.keyring, interview, "d@x.example",
                                           "D", "https://connector.test", days=3)
        assert timedelta(days=3) - (invitation.expires_at - utcnow()) < timedelta(minutes=1)
