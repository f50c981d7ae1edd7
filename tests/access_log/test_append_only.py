"""No route changes or removes a line of the access log, and neither does the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DatabaseError

from connector.models import Access, AccessEvent, Actor, Installation, Organization, utcnow
from connector.privacy import access
from tests.access_log.conftest import add_user, log_lines, new_lines, score_form, sign_in
from tests.review.conftest import csrf_token_of

# Where a route of this prefix names a public id, it is the installation's, not the interview's.
INSTALLATION_PUBLIC_ID = ("/admin/health/", "/webhooks/")
# URLs that would edit or delete a line, were there such routes: there are none.
GUESSES = ("/admin/access-log/{id}", "/admin/access-log/{id}/delete",
           "/admin/access-log/{id}/edit", "/api/v1/access-log/{id}", "/api/v1/access_events/{id}")


@pytest.fixture
def logged(app, services, reviewer, completed, links, candidate):
    """A log with a line of each kind: a page, scores, a recording, a link, an erasure."""
    path = f"/review/sessions/{completed}"
    assert score_form(reviewer, path).status_code == 303
    reviewer.get(path)
    reviewer.get(f"{path}/answers/1?download=1")
    app.test_client().get(f"/review/shared/{links['share_token']}")
    app.test_client().get(f"/review/shared/{links['share_token']}/answers/1")
    with services.db.session() as db:
        org = db.scalar(select(Organization).where(Organization.name == "Acme"))
        access.record(db, org.id, Access.ERASED, Actor.OPERATOR, "root", interview="ses_gone",
                      detail="operator", address="192.0.2.9")
    lines = log_lines(services)
    assert {line["action"] for line in lines} >= {
        Access.REVIEW_VIEWED, Access.SCORECARD_VIEWED, Access.RECORDING_DOWNLOADED,
        Access.RECORDING_VIEWED, Access.SHARE_LINK_USED, Access.ERASED}
    return {"line_id": lines[-1]["id"], "candidate_token": candidate.token, **links}


def urls(app, services, logged, completed) -> list[tuple[str, str]]:
    """(method, url) for every route and method of the app, with plausible ids filled in."""
    with services.db.session() as db:
        installation = db.scalars(select(Installation)).first().public_id
    found = []
    for rule in app.url_map.iter_rules():
        values = {
            "public_id": installation if rule.rule.startswith(INSTALLATION_PUBLIC_ID)
            else completed, "ats": "greenhouse", "step": "stages", "filename": "admin.css",
            "invitation_id": logged["invitation_id"], "application_id": "1",
            "token": logged["candidate_token"] if rule.rule.startswith("/interview/")
            else logged["share_token"], "position": 1, "take": 1, "index": 0}
        for name in rule.arguments - values.keys():
            values[name] = logged["line_id"]  # every other id: the newest line's own
        url = rule.build({name: values[name] for name in rule.arguments})[1]
        found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    found += [(method, guess.format(id=logged["line_id"])) for guess in GUESSES
              for method in ("GET", "POST", "PUT", "PATCH", "DELETE")]
    # Signing out last, so every other route is tried signed in.
    return sorted(found, key=lambda pair: pair[1] == "/logout")


def test_no_route_changes_or_removes_a_line(app, services, completed, logged, api_token):
    add_user(services, "root@acme.example", role="admin", name="Ada Root")
    admin = app.test_client()
    sign_in(admin, "root@acme.example")
    signed = {"X-CSRFToken": csrf_token_of(admin, "/account"),
              "Authorization": f"Bearer {api_token[0]}"}
    before = log_lines(services)
    tried = 0
    for client, headers in ((admin, signed), (app.test_client(), {})):
        for method, url in urls(app, services, logged, completed):
            response = client.open(url, method=method, json={}, headers=headers)
            assert response.status_code < 500, (method, url, response.status_code)
            tried += 1
    added = new_lines(services, before)  # asserts every earlier line is as it was
    assert tried > 200
    # Signed in all along: the admin's own views and the token's reads were logged as theirs.
    assert {(line["action"], line["actor_label"]) for line in added} >= {
        (Access.REVIEW_VIEWED, "Ada Root"), (Access.EXPORTED, "Ada Root"),
        (Access.SCORECARD_VIEWED, "CI")}
    assert {line["action"] for line in added} <= {
        Access.REVIEW_VIEWED, Access.SCORECARD_VIEWED, Access.RECORDING_VIEWED,
        Access.RECORDING_DOWNLOADED, Access.SHARE_LINK_USED, Access.EXPORTED}


def test_the_model_and_the_database_refuse_an_update(services, logged):
    before = log_lines(services)
    with pytest.raises(PermissionError), services.db.session() as db:
        db.get(AccessEvent, logged["line_id"]).detail = "nothing happened"
    with pytest.raises(DatabaseError, match="append-only"), services.db.session() as db:
        db.execute(update(AccessEvent).values(address=None))
    assert log_lines(services) == before


def test_lines_still_age_out(services, logged):
    count = len(log_lines(services))
    with services.db.session() as db:
        assert access.age_out(db, utcnow().replace(year=utcnow().year + 3)) == count
    assert log_lines(services) == []
