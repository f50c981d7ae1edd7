"""One error shape for every failure under /api/v1, whatever raised it."""

from __future__ import annotations

import pytest

from connector.api import sessions as session_views
from tests.api.conftest import assert_error
from tests.conftest import row_counts


def test_an_unknown_path_is_a_404_in_the_api_shape(acme):
    assert_error(acme.api.get("/nothing/here"), 404, "not_found")


def test_a_wrong_method_is_a_405_with_allow(acme):
    response = acme.api.client.delete("/api/v1/sessions",
                                      headers={"Authorization": f"Bearer {acme.token}"})
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


def test_other_routes_keep_the_app_wide_shape(client):
    assert client.get("/no/such/page").get_json() == {
        "error": "not_found", "detail": client.get("/no/such/page").get_json()["detail"]}


def test_malformed_json_is_a_400_and_writes_nothing(services, acme):
    before = row_counts(services)
    response = acme.api.post("/templates", data="{not json", headers={
        "Content-Type": "application/json"})
    assert_error(response, 400, "bad_request")
    assert row_counts(services) == before


def test_a_body_that_is_not_json_is_a_415(services, acme):
    before = row_counts(services)
    response = acme.api.post("/templates", data="name=x", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert_error(response, 415, "unsupported_media_type")
    assert row_counts(services) == before


def test_a_body_over_one_mebibyte_is_a_413(services, acme):
    before = row_counts(services)
    body = '{"name": "' + "x" * (1024 * 1024 + 10) + '"}'
    response = acme.api.post("/templates", data=body,
                             headers={"Content-Type": "application/json"})
    assert_error(response, 413, "payload_too_large")
    assert row_counts(services) == before


def test_invalid_fields_are_a_422_listing_each_field(services, acme):
    before = row_counts(services)
    response = acme.api.post("/templates", json={"questions": [], "deadline_hours": "soon",
                                                 "surprise": 1})
    details = assert_error(response, 422, "validation_failed")
    assert set(details["fields"]) == {"name", "questions", "deadline_hours", "surprise"}
    assert row_counts(services) == before


def test_a_bad_query_parameter_is_a_422(acme):
    details = assert_error(acme.api.get("/sessions?limit=1000&state=lost&cursor=%%%"), 422,
                           "validation_failed")
    assert set(details["fields"]) == {"limit", "state", "cursor"}


def test_too_many_requests_is_a_429_with_retry_after(app, acme):
    app.config["API_RATE_LIMIT"] = "2/minute"
    assert acme.api.get("/installations").status_code == 200
    assert acme.api.get("/installations").status_code == 200
    response = acme.api.get("/installations")
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0


def test_an_unexpected_failure_is_a_500_without_the_cause(monkeypatch, acme, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail ada@example.org")

    monkeypatch.setattr(session_views, "page_of", broken)
    response = acme.api.get("/sessions")
    assert_error(response, 500, "internal_error")
    assert "secret detail" not in response.get_data(as_text=True)
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "api.error type=RuntimeError" in logged and "in list_sessions" in logged  # where
    assert "ada@example.org" not in logged and "secret detail" not in logged


@pytest.mark.parametrize("path", ["/openapi.json"])
def test_the_document_needs_no_token(client, path):
    response = client.get("/api/v1" + path)
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")


def test_a_nul_in_a_query_is_a_422_on_both_databases(acme):
    """PostgreSQL cannot compare text with NUL: the API refuses it before any query."""
    response = acme.api.get("/sessions", query_string={"installation": "inst_\x00x"})
    assert_error(response, 422, "validation_failed")
    assert "installation" in response.get_json()["error"]["details"]["fields"]
