"""Installations are their organization's: another organization's admin and a reviewer get
404 on every installation route and change nothing; a visitor is sent to sign in."""

from __future__ import annotations

from connector.admin import install_steps
from connector.models import Role
from tests.admin.fake_harvest import install, post
from tests.conftest import row_counts
from tests.review.conftest import csrf_token_of


def id_routes(installation_id: int, token: str = "0" * 32) -> list[tuple[str, str]]:
    base = f"/admin/installations/{installation_id}"
    routes = [("GET", base), ("GET", f"{base}/test-event/{token}"),
              ("POST", f"{base}/test-event"), ("POST", f"{base}/setup/finish")]
    for step, _label in install_steps.STEPS:
        routes += [("GET", f"{base}/setup/{step}"), ("POST", f"{base}/setup/{step}")]
    return routes


def test_another_organizations_admin_gets_404_everywhere(admin, admin_client, services,
                                                         harvest):
    installation_id = install(admin, services)
    outsider = admin_client("Other")
    before = row_counts(services)
    for method, path in id_routes(installation_id):
        if method == "GET":
            response = outsider.get(path)
        else:
            response = post(outsider, path, stage="Onsite", template_id="1",
                            note_visibility="public")
        assert response.status_code == 404, (method, path, response.status_code)
    assert row_counts(services) == before
    assert "Acme Greenhouse" not in outsider.get("/admin/installations").get_data(as_text=True)


def test_a_reviewer_gets_404(admin, user_client, services, harvest):
    installation_id = install(admin, services)
    reviewer = user_client("Acme", Role.REVIEWER)
    paths = ["/admin/installations", "/admin/installations/new",
             "/admin/installations/new/greenhouse"]
    for path in paths + [p for m, p in id_routes(installation_id) if m == "GET"]:
        assert reviewer.get(path).status_code == 404, path
    token = csrf_token_of(reviewer, "/account")
    for method, path in id_routes(installation_id):
        if method == "POST":
            response = reviewer.post(path, data={"csrf_token": token, "stage": "Onsite"})
            assert response.status_code == 404, path


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/admin/installations")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
