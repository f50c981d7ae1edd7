"""/metrics without a token answers only a direct request from loopback: a request that came
through a proxy, whichever header names its client and whatever TRUSTED_PROXIES says, gets 404."""

from __future__ import annotations

from dataclasses import replace

import pytest

TOKEN = "a-metrics-token-of-some-length"
PROXY_HEADERS = [("X-Real-IP", "203.0.113.9"), ("X-Forwarded-For", "127.0.0.1"),
                 ("Forwarded", "for=127.0.0.1"), ("X-Forwarded-Host", "metrics.example.com"),
                 ("Via", "1.1 proxy"), ("True-Client-IP", "127.0.0.1")]


@pytest.fixture
def scrape(app, services):
    """`scrape(remote_addr, headers, trusted_proxies)`: the status /metrics answers."""
    def get(remote: str, headers: dict, trusted_proxies: int = 0) -> int:
        services.settings = replace(services.settings, trusted_proxies=trusted_proxies,
                                    metrics_token=TOKEN)
        response = app.test_client().get("/metrics", headers=headers,
                                         environ_base={"REMOTE_ADDR": remote})
        return response.status_code

    return get


def test_a_direct_request_from_loopback_is_answered(scrape):
    assert scrape("127.0.0.1", {}) == 200 and scrape("::1", {}) == 200
    assert scrape("203.0.113.9", {}) == 404


@pytest.mark.parametrize("trusted_proxies", [0, 1])
@pytest.mark.parametrize("remote", ["127.0.0.1", "10.0.0.7"])
def test_a_request_through_a_proxy_needs_the_token(scrape, remote, trusted_proxies):
    for name, value in PROXY_HEADERS:
        assert scrape(remote, {name: value}, trusted_proxies) == 404, name
        authorized = {name: value, "Authorization": f"Bearer {TOKEN}"}
        assert scrape(remote, authorized, trusted_proxies) == 200, name
