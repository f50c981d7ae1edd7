"""One organization's token never reaches another's rows: every id answers 404, lists omit them."""

from __future__ import annotations

import re

import pytest

from connector.api.routing import OPERATIONS
from connector.models import OutboxStatus, Push
from tests.api.conftest import TEMPLATE, assert_error, invite_by_hand
from tests.conftest import row_counts

BODIES = {"update_options": {"note_visibility": "public"}, "update_template": TEMPLATE,
          "extend_session": {"hours": 5}}


@pytest.fixture
def acme_rows(services, acme, greenhouse) -> dict:
    """One of each of Acme's resources, with a failed push so that a retry would act."""
    template = acme.api.post("/templates", json=TEMPLATE).get_json()
    session = invite_by_hand(acme, template_id=template["id"]).get_json()
    push_id = acme.api.get("/pushes").get_json()["data"][0]["id"]
    with services.db.session() as db:
        db.get(Push, push_id).status = OutboxStatus.FAILED
    return {"installation": acme.installation["public_id"], "session": session["id"],
            "template": template["id"], "push": push_id}


def id_routes(rows: dict) -> list[tuple[str, str, dict | None]]:
    """Every registered route that takes an id, filled in with Acme's ids."""
    values = {"installations": rows["installation"], "sessions": rows["session"],
              "reviews": rows["session"]}
    routes = []
    for op in OPERATIONS:
        if "<" not in op.rule:
            continue
        path = op.rule.replace("<int:template_id>", str(rows["template"]))
        path = path.replace("<int:push_id>", str(rows["push"])).replace("<int:position>", "1")
        path = path.replace("<public_id>", str(values.get(op.tag, "")))
        assert not re.search(r"<[^>]+>", path), f"no value for {op.rule}"
        routes.append((op.method.upper(), path, BODIES.get(op.endpoint.split("_", 1)[1])))
    return routes


def test_every_id_route_of_another_organization_is_a_404(services, beta, acme_rows):
    routes = id_routes(acme_rows)
    assert len(routes) >= 11
    before = row_counts(services)
    for method, path, body in routes:
        response = beta.api.client.open("/api/v1" + path, method=method, json=body, headers={
            "Authorization": f"Bearer {beta.token}"})
        assert_error(response, 404, "not_found")
    assert row_counts(services) == before


def test_another_organizations_installation_or_template_cannot_start_a_session(
        services, beta, acme_rows, greenhouse):
    before = row_counts(services)
    assert_error(invite_by_hand(beta, installation_id=acme_rows["installation"]), 404,
                 "not_found")
    assert_error(invite_by_hand(beta, template_id=acme_rows["template"]), 404, "not_found")
    assert row_counts(services) == before


def test_lists_show_only_the_tokens_organization(beta, acme_rows, greenhouse):
    assert invite_by_hand(beta, application_id="9001").status_code == 201
    installations = beta.api.get("/installations").get_json()["data"]
    assert [i["id"] for i in installations] == [beta.installation["public_id"]]
    sessions = beta.api.get("/sessions").get_json()["data"]
    assert len(sessions) == 1 and sessions[0]["id"] != acme_rows["session"]
    assert beta.api.get(f"/sessions?installation={acme_rows['installation']}").get_json()[
        "data"] == []
    templates = beta.api.get("/templates").get_json()["data"]
    assert acme_rows["template"] not in [t["id"] for t in templates]
    assert all(t["is_builtin"] for t in templates)
    pushes = beta.api.get("/pushes").get_json()["data"]
    assert acme_rows["push"] not in [p["id"] for p in pushes]
    assert all(p["installation_id"] == beta.installation["public_id"] for p in pushes)
    assert beta.api.get("/pushes?status=failed").get_json()["data"] == []
