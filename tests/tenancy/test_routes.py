"""Route by route: one organization can neither read nor change another's data.

Every route of the app is listed here by how it is scoped; a new route fails
`test_every_route_is_classified` until it is added, so none escapes these checks.
"""

from __future__ import annotations

import re

import pytest

from adapters.greenhouse.adapter import GreenhouseAdapter
from tests.conftest import fixture_body, row_counts
from tests.tenancy.conftest import Tenant

# Routes with no organization's data behind them ("home" is the root: a redirect).
PUBLIC = {"home", "static", "health.healthz", "health.readyz", "metrics.metrics", "auth.login",
          "auth.logout", "auth.account", "api.openapi"}
# Routes reached by an unguessable token that names one session: checked below.
CANDIDATE_PREFIX, SHARED_PREFIX = "/interview/<token>", "/review/shared/<token>"
NOT_TENANT_IDS = {"ats"}  # URL parts that name no organization's row (the wizard's ATS choice)
SANDBOX_PREFIX = "/sandbox"  # the built-in sandbox organization's board: tests/sandbox


def rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def scope_of(rule) -> str:
    if rule.endpoint in PUBLIC:
        return "public"
    for prefix, scope in ((CANDIDATE_PREFIX, "candidate"), (SHARED_PREFIX, "shared"),
                          (SANDBOX_PREFIX, "sandbox"), ("/webhooks/", "webhook"),
                          ("/review/sessions/", "review"), ("/admin", "admin"),
                          ("/api/v1", "api")):
        if rule.rule.startswith(prefix):
            return scope
    return "unclassified"


def test_every_route_is_classified(app):
    assert [r.rule for r in rules(app) if scope_of(r) == "unclassified"] == []


NOBODY = Tenant("Nobody", {"id": 999999, "public_id": "inst_nobody"}, session_id=999999,
                session_public_id="ses_nobody", template_id=999999, push_id=999999,
                delivery_id=999999, user_id=999999, api_token_id=999999,
                share_link_id="share_nobody", invitation_id="rinv_nobody")


def fill(rule, owner: Tenant) -> str:
    """The rule's URL with the owner's ids in it; an unknown parameter fails loudly."""
    values = {
        "public_id": owner.session_public_id, "session_id": owner.session_id,
        "installation_id": owner.installation_id, "template_id": owner.template_id,
        "push_id": owner.push_id, "delivery_id": owner.delivery_id, "user_id": owner.user_id,
        "token_id": owner.api_token_id, "position": 1, "take": 1, "index": 0,
        "link_id": owner.share_link_id, "step": "stages", "token": "any",
        "invitation_id": owner.invitation_id,
    }
    if rule.rule.startswith(("/admin/installations/", "/admin/health/")):
        values["public_id"] = owner.installation["public_id"]  # the installation's, there
    missing = [name for name in rule.arguments if name not in values]
    assert not missing, f"{rule.rule}: say which of the owner's ids fills {missing}"
    return rule.build({name: values[name] for name in rule.arguments})[1]


def csrf_of(client) -> str:
    html = client.get("/account").get_data(as_text=True)
    match = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', html)
    return match[1] if match else ""


def request(client, method: str, url: str, headers: dict):
    return client.open(url, method=method, json={}, headers=headers)


@pytest.mark.parametrize("scope", ["admin", "review", "api"])
def test_another_organizations_ids_answer_404_and_change_nothing(app, services, acme, globex,
                                                                   scope):
    if scope == "api":
        client, headers = app.test_client(), {"Authorization": f"Bearer {globex.api_token}"}
    else:
        client = globex.signed_in(app, "admin")
        headers = {"X-CSRFToken": csrf_of(client)}
    checked = []
    for rule in [r for r in rules(app) if scope_of(r) == scope]:
        if not rule.arguments - NOT_TENANT_IDS:
            continue  # lists and forms: test_lists_show_only_the_organizations_own_rows
        url, nobodys = fill(rule, acme), fill(rule, NOBODY)
        for method in methods(rule):
            before = row_counts(services)
            response = request(client, method, url, headers)
            if method != "GET" and response.status_code in (400, 422):
                # The body was refused before the id was looked up: fine, as long as an id of
                # nobody's gets the very same answer (no way to tell that Acme's exists).
                same = request(client, method, nobodys, headers)
                assert same.status_code == response.status_code, (method, url)
            else:
                assert response.status_code == 404, (method, url, response.status_code)
            assert row_counts(services) == before, (method, url)
            checked.append((method, rule.rule))
    assert checked  # the scope has id-bearing routes, and each was tried


def test_the_same_ids_reach_the_owners_own_rows(app, acme, globex):
    """The 404s above come from scoping, not from ids that fit nobody."""
    client = acme.signed_in(app, "admin")
    assert client.get(f"/review/sessions/{acme.session_public_id}").status_code == 200
    api = app.test_client().get(f"/api/v1/sessions/{acme.session_public_id}",
                                headers={"Authorization": f"Bearer {acme.api_token}"})
    assert api.status_code == 200


@pytest.mark.parametrize("scope", ["admin", "api"])
def test_lists_show_only_the_organizations_own_rows(app, acme, globex, scope):
    if scope == "api":
        client, headers = app.test_client(), {"Authorization": f"Bearer {globex.api_token}"}
    else:
        client, headers = globex.signed_in(app, "admin"), {}
    listed = 0
    for rule in [r for r in rules(app) if scope_of(r) == scope and not r.arguments]:
        if rule.rule.endswith(".json"):
            continue  # the OpenAPI document: no organization's rows
        if "GET" not in rule.methods or rule.endpoint in PUBLIC:
            continue
        response = client.get(rule.rule, headers=headers, follow_redirects=True)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, (rule.rule, response.status_code)
        for leak in ("Acme", acme.session_public_id, acme.installation["public_id"]):
            assert leak not in body, (rule.rule, leak)
        listed += 1
    assert listed


def test_a_webhook_signed_with_another_installations_secret_is_refused(app, services, acme,
                                                                       globex):
    body = fixture_body("greenhouse", "candidate_stage_change")
    before = row_counts(services)
    headers = {**GreenhouseAdapter.sign(body, globex.installation["secret"]),
               "Greenhouse-Event-ID": "evt-cross"}
    response = app.test_client().post(acme.installation["path"], data=body, headers=headers)
    assert response.status_code == 401
    assert row_counts(services) == before


def test_a_candidate_link_opens_its_own_interview_only(app, acme, globex):
    client = app.test_client()
    page = client.get(f"/interview/{globex.candidate_token}").get_data(as_text=True)
    assert "Globex" in page and "Acme" not in page
    state = client.get(f"/interview/{acme.candidate_token}/api/state")
    assert state.status_code in (200, 400, 403)  # its own session, never another's
    assert client.get("/interview/" + "x" * 43).status_code == 404


def test_a_share_link_opens_its_own_session_only(app, acme, globex):
    client = app.test_client()
    page = client.get(f"/review/shared/{globex.share_token}").get_data(as_text=True)
    assert globex.session_public_id in page or "Globex" in page
    assert acme.session_public_id not in page and "Acme" not in page
    assert client.get("/review/shared/" + "x" * 43).status_code == 404


def test_a_reviewer_invitation_opens_its_own_session_only(app, services, acme, globex):
    client = app.test_client()
    page = client.get(f"/review/shared/{globex.invitation_token}").get_data(as_text=True)
    assert "Scoring as Globex Guest." in page and "Acme" not in page
    assert client.get(f"/review/shared/{globex.invitation_token}/answers/1").status_code == 404
    acme_admin = acme.signed_in(app, "admin")
    before = row_counts(services)
    response = acme_admin.post(
        f"/review/sessions/{acme.session_public_id}/invitations/{globex.invitation_id}/revoke",
        headers={"X-CSRFToken": csrf_of(acme_admin)})
    assert response.status_code == 404  # Acme's session, Globex's invitation
    assert row_counts(services) == before
