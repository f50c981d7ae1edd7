"""Sign-in pages, throttling, and who may see a session's review page."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from config import SettingsError, load_settings
from connector.app import create_app
from connector.auth.access import require_viewer, viewer_for
from connector.auth.views import safe_next
from connector.models import Interview, User, utcnow
from connector.review import invitations
from connector.services import install
from connector.wiring import build_services
from tests.test_accounts import PASSWORD, add_interview, add_user, share

LOGIN_PAGE_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client, path="/login") -> str:
    return LOGIN_PAGE_TOKEN.search(client.get(path).get_data(as_text=True))[1]


def sign_in(client, email="ann@example.com", password=PASSWORD, next_=None, address="10.0.0.1"):
    data = {"email": email, "password": password, "csrf_token": csrf(client)}
    if next_ is not None:
        data["next"] = next_
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def app_with(settings):
    """An app of its own, on changed settings."""
    services = install(build_services(settings, synchronous_jobs=True))
    application = create_app(services=services)
    application.config["TESTING"] = True
    return application, services


# The sign-in page


def test_the_sign_in_page_has_a_form_with_a_csrf_token_and_strict_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="email"' in html and 'type="password"' in html and LOGIN_PAGE_TOKEN.search(html)
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Permissions-Policy"] == "camera=(), microphone=()"


def test_signing_in_and_out(client, services):
    add_user(services)
    response = sign_in(client, email="Ann@Example.com")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200 and "ann@example.com" in page.get_data(as_text=True)
    with services.db.session() as session:
        assert session.scalar(select(User.last_login_at)) is not None

    assert client.get("/logout").status_code == 405  # a link cannot sign anyone out
    response = client.post("/logout", data={"csrf_token": csrf(client, "/account")})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/account").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(client, services):
    add_user(services)
    response = client.post("/login", data={"email": "ann@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("email, password", [
    ("ann@example.com", "wrong password!"),
    ("nobody@example.com", PASSWORD),
    ("gone@example.com", PASSWORD),
])
def test_a_refused_sign_in_says_only_that_email_or_password_is_wrong(client, services, email,
                                                                     password):
    add_user(services)
    add_user(services, email="gone@example.com", active=False)
    response = sign_in(client, email, password)
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "Email or password is wrong" in html and PASSWORD not in html
    assert client.get("/account").status_code == 302


def test_a_page_that_needs_sign_in_sends_there_and_back(client, services):
    add_user(services)
    response = client.get("/account?tab=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=" + quote("/account?tab=1", safe="")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/account?tab=1"' in html
    assert sign_in(client, next_="/account?tab=1").headers["Location"] == "/account?tab=1"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "/\t/evil.example", "evil.example", "http:/evil.example",
])
def test_next_never_leads_off_the_site(client, services, target):
    add_user(services)
    assert safe_next(target) is None
    response = sign_in(client, next_=target)
    assert response.status_code == 303 and response.headers["Location"] == "/account"


def test_safe_next_keeps_local_paths():
    assert safe_next("/review/iv_1?x=1#a") == "/review/iv_1?x=1#a"
    assert safe_next(None) is None and safe_next("") is None and safe_next("/" * 3000) is None


def test_a_disabled_user_is_signed_out_on_the_next_request(client, services):
    user_id = add_user(services)
    sign_in(client)
    assert client.get("/account").status_code == 200
    with services.db.session() as session:
        session.get(User, user_id).active = False
    assert client.get("/account").status_code == 302


def test_the_sign_in_page_of_a_signed_in_user_moves_on(client, services):
    add_user(services)
    sign_in(client)
    assert client.get("/login?next=/account%3Fx%3D1").headers["Location"] == "/account?x=1"


# Trusted proxies (throttling itself: tests/test_throttling.py)


@pytest.mark.parametrize("raw, expected", [("", 0), ("2", 2)])
def test_trusted_proxies_setting(raw, expected):
    assert load_settings({"TRUSTED_PROXIES": raw}).trusted_proxies == expected


def test_a_malformed_trusted_proxies_setting_is_named():
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES: must be a whole number"):
        load_settings({"TRUSTED_PROXIES": "-1"})


# Who may see a session's review page


def test_a_user_sees_sessions_of_their_own_organization_only(services):
    acme = add_interview(services, organization="Acme")
    globex = add_interview(services, organization="Globex")
    ann = add_user(services, organization="Acme")
    with services.db.session() as session:
        user = session.get(User, ann)
        viewer = viewer_for(session, acme, user=user)
        assert viewer.interview.public_id == acme and viewer.can_score
        assert viewer.reviewer_key() == f"user:{ann}" and viewer.name == "Ann"
        assert viewer_for(session, viewer.interview.id, user=user).interview.public_id == acme
        assert viewer_for(session, globex, user=user) is None
        assert viewer_for(session, "iv_unknown", user=user) is None
        assert viewer_for(session, acme) is None
        user.active = False
        assert viewer_for(session, acme, user=user) is None


def test_a_share_link_opens_its_own_session_only_and_never_scores(services):
    first, second = add_interview(services), add_interview(services)
    link_id, token = share(services, first)
    with services.db.session() as session:
        viewer = viewer_for(session, share_token=token)
        assert (viewer.interview.public_id, viewer.can_score, viewer.via_share_link) == (
            first, False, True)
        assert viewer.reviewer_key() is None and viewer.name == ""  # no identity to score as
        assert viewer_for(session, first, share_token=token).interview.public_id == first
        assert viewer_for(session, second, share_token=token) is None
        assert viewer_for(session, share_token=token, now=utcnow() + timedelta(days=15)) is None
        assert viewer_for(session, share_token="x" * 43) is None


def test_a_personal_invitation_scores_as_its_reviewer_in_its_own_session_only(services):
    first, second = add_interview(services), add_interview(services)
    with services.db.session() as session:
        interview = session.scalar(select(Interview)
                                   .where(Interview.public_id == first))
        invitation, _ = invitations.invite(session, services.keyring, interview,
                                           "dana@partner.example", "Dana Scully",
                                           "https://connector.test", days=3)
        token = services.keyring.decrypt(invitation.token_encrypted)
        invitation_id, public_id = invitation.id, invitation.public_id
    with services.db.session() as session:
        viewer = viewer_for(session, share_token=token)
        assert (viewer.interview.public_id, viewer.can_score, viewer.via_share_link) == (
            first, True, False)
        assert (viewer.name, viewer.reviewer_key()) == ("Dana Scully",
                                                        f"invitation:{invitation_id}")
        assert viewer_for(session, second, share_token=token) is None
        assert viewer_for(session, share_token=token,
                          now=utcnow() + timedelta(days=3, seconds=1)) is None
        invitations.revoke(session, public_id)
    with services.db.session() as session:
        assert viewer_for(session, share_token=token) is None


def test_a_revoked_share_link_opens_nothing(services):
    from connector.accounts import revoke_share_link

    public_id = add_interview(services)
    link_id, token = share(services, public_id)
    with services.db.session() as session:
        revoke_share_link(session, link_id)
    with services.db.session() as session:
        assert viewer_for(session, public_id, share_token=token) is None


@pytest.fixture
def review_client(app, services):
    """The app with two stand-in review routes that call require_viewer as the real ones will."""

    def answer(viewer):
        return {"session": viewer.interview.public_id, "can_score": viewer.can_score,
                "key": viewer.reviewer_key()}

    def by_id(public_id):
        with services.db.session() as session:
            return answer(require_viewer(session, public_id))

    def by_link(token):
        with services.db.session() as session:
            return answer(require_viewer(session, share_token=token))

    app.add_url_rule("/test-review/<public_id>", "test_review", by_id)
    app.add_url_rule("/test-review/shared/<token>", "test_shared", by_link)
    return app.test_client()


def test_require_viewer_on_a_page(review_client, services):
    acme, globex = add_interview(services, "Acme"), add_interview(services, "Globex")
    add_user(services, organization="Acme")
    _, token = share(services, globex)

    response = review_client.get(f"/test-review/{acme}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=" + quote(f"/test-review/{acme}", safe="")
    assert review_client.get(f"/test-review/shared/{token}").get_json() == {
        "session": globex, "can_score": False, "key": None}
    assert review_client.get("/test-review/shared/nope").status_code == 404

    sign_in(review_client)
    assert review_client.get(f"/test-review/{acme}").get_json()["can_score"] is True
    assert review_client.get(f"/test-review/{globex}").status_code == 404  # not 403: no hint
    assert review_client.get("/test-review/iv_unknown").status_code == 404
