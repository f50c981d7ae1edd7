"""HTTP for ATS API clients: allowed hosts, timeouts, and a small typed error family."""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import requests

from adapters.errors import (  # noqa: F401  (the error family, imported from here by clients)
    ApiError, HostNotAllowed, Invalid, NotFound, RateLimited, Temporary, Unauthorized,
)
from adapters.hosts import AddressCheckingAdapter, name_refusal, private_addresses_allowed

DEFAULT_TIMEOUT = (5, 20)  # connect, read: seconds
_transports: dict[bool, AddressCheckingAdapter] = {}
# An X-RateLimit-Reset this large can only be a Unix time: as seconds left it would be 31 years.
EPOCH_RESET_FROM = 1_000_000_000


def check_base_url(url: str, allowed_suffixes: Iterable[str], strict: bool,
                   exact_hosts: Iterable[str] = ()) -> str:
    """Return the URL if it may be called; in strict mode only https on the ATS's own hosts
    (`allowed_suffixes` and their subdomains) or on the hosts the operator listed by name."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise HostNotAllowed(f"not an http(s) URL: {url!r}")
    refusal = name_refusal(parts.hostname)  # the names and addresses no mode may call
    if refusal:
        raise HostNotAllowed(refusal)
    if not strict:
        return url
    host = parts.hostname.lower()
    allowed = host in {h.lower() for h in exact_hosts} or any(
        host == s or host.endswith("." + s) for s in allowed_suffixes)
    if parts.scheme != "https" or not allowed or parts.username or parts.port not in (None, 443):
        raise HostNotAllowed(f"host not allowed: {host}")
    return url


@dataclass(frozen=True)
class RateLimitInfo:
    """What one ATS response said about the caller's request budget; None where it said nothing."""

    status: int
    limit: int | None = None
    remaining: int | None = None
    retry_after: float | None = None
    reset: float | None = None  # seconds until the window starts afresh


class TokenCache(Protocol):
    """Where an API token outlives one client, e.g. across rq's forked work horses."""

    def get(self, key: str) -> tuple[str, float] | None:
        """The token stored under `key` and when it expires (epoch seconds), if any."""

    def set(self, key: str, token: str, expires_at: float) -> None:
        """Keep `token` under `key` until `expires_at` (epoch seconds)."""


def rate_limit_info(response: requests.Response) -> RateLimitInfo | None:
    """X-RateLimit-Limit, -Remaining, -Reset and Retry-After, if the response has any."""
    headers = response.headers
    info = RateLimitInfo(
        status=response.status_code,
        limit=_count(headers.get("X-RateLimit-Limit")),
        remaining=_count(headers.get("X-RateLimit-Remaining")),
        retry_after=retry_after_seconds(headers.get("Retry-After")),
        reset=reset_seconds(headers.get("X-RateLimit-Reset")),
    )
    if info.limit is None and info.remaining is None and info.reset is None \
            and info.status != 429:
        return None
    return info


def reset_seconds(value: str | None, now: float | None = None) -> float | None:
    """Read X-RateLimit-Reset as seconds from now, whether sent as seconds or as a Unix time."""
    # Source: Greenhouse's v3 rate-limit guide, known only as third parties quote it [3P]:
    # X-RateLimit-Reset on every answer, for a fixed 30-second window; no quote gives its unit.
    # APIs send either the seconds left or the Unix time the window ends, and only a Unix time
    # can be as large as EPOCH_RESET_FROM, so both are read; either way the answer is seconds.
    try:
        seconds = float((value or "").strip())
    except ValueError:
        return None
    if not 0 <= seconds < float("inf"):
        return None
    if seconds >= EPOCH_RESET_FROM:
        return max(0.0, seconds - (time.time() if now is None else now))
    return seconds


def _count(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Read Retry-After as seconds or as an HTTP date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def shared_transport() -> AddressCheckingAdapter:
    """The process's connection pools, one per ATS host, kept from one client to the next.

    Each job builds its own client, but a worker runs thousands of jobs: sharing the transport
    (urllib3's pools are thread-safe) spares each call a new TCP connection and TLS handshake.
    Only connections are shared, never a session's cookies or auth. Every connection was
    checked by resolve_checked when it was opened, and a reused one goes to that same address;
    a connection opened while private addresses were allowed is not reused once they are not.
    """
    allowed = private_addresses_allowed()
    if allowed not in _transports:
        _transports[allowed] = AddressCheckingAdapter()
    return _transports[allowed]


# A forked child must not write to its parent's sockets.
os.register_at_fork(after_in_child=_transports.clear)


class ApiClient:
    """A requests session bound to one base URL; raises ApiError subclasses, never requests'."""

    def __init__(self, base_url: str, session: requests.Session | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 on_rate_limit: Callable[[RateLimitInfo], None] | None = None):
        self.base_url = base_url.rstrip("/") + "/"
        self.session = session or requests.Session()
        for scheme in ("https://", "http://"):  # every connection to an allowed address only
            self.session.mount(scheme, shared_transport())
        self.timeout = timeout
        self.on_rate_limit = on_rate_limit  # told what each response says of the budget

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        url = urljoin(self.base_url, path.lstrip("/"))
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)  # a redirect could leave the allowed hosts
        try:
            response = self.session.request(method, url, **kwargs)
        except (requests.Timeout, TimeoutError) as exc:
            raise Temporary(f"{method} {path}: timed out") from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            # A dropped connection, or a body cut off mid-read: nothing says it will fail again.
            raise Temporary(f"{method} {path}: connection failed") from exc
        self._report(response)
        raise_for_status(response, f"{method} {path}")
        return response

    def _report(self, response: requests.Response) -> None:
        info = rate_limit_info(response) if self.on_rate_limit else None
        if info is not None:
            self.on_rate_limit(info)


def raise_for_status(response: requests.Response, what: str) -> None:
    """Map an HTTP status to the error family; 2xx passes."""
    status = response.status_code
    if status < 300:
        return
    detail, reply = f"{what}: HTTP {status}", _short(response)
    if status in (401, 403):
        raise Unauthorized(detail, status, reply)
    if status == 404:
        raise NotFound(detail, status, reply)
    if status == 429:
        raise RateLimited(detail, retry_after_seconds(response.headers.get("Retry-After")), reply)
    if status >= 500 or status in (408, 409, 425):
        raise Temporary(detail, status, reply)
    raise Invalid(detail, status, reply)


def _short(response: requests.Response) -> str:
    text = (response.text or "").strip().replace("\n", " ")
    return text[:300]
