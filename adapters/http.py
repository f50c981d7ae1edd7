"""HTTP for ATS API clients: allowed hosts, timeouts, and a small typed error family."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

import requests

DEFAULT_TIMEOUT = (5, 20)  # connect, read: seconds


class ApiError(Exception):
    """An ATS API call failed; `retryable` says whether trying again may help."""

    retryable = False

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Unauthorized(ApiError):
    """401 or 403: the credentials are wrong or lack a permission."""


class NotFound(ApiError):
    """404: the candidate or application is gone."""


class Invalid(ApiError):
    """400 or 422: the ATS refused what we sent."""


class Temporary(ApiError):
    """5xx, a timeout or a dropped connection: try again later."""

    retryable = True


class RateLimited(Temporary):
    """429: wait `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message, status=429)
        self.retry_after = retry_after


class HostNotAllowed(ApiError):
    """The base URL points somewhere the adapter may not call."""


def check_base_url(url: str, allowed_suffixes: Iterable[str], strict: bool) -> str:
    """Return the URL if it may be called; in strict mode only https on the ATS's own hosts."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise HostNotAllowed(f"not an http(s) URL: {url!r}")
    if not strict:
        return url
    host = parts.hostname.lower()
    allowed = any(host == s or host.endswith("." + s) for s in allowed_suffixes)
    if parts.scheme != "https" or not allowed or parts.username or parts.port not in (None, 443):
        raise HostNotAllowed(f"host not allowed: {host}")
    return url


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


class ApiClient:
    """A requests session bound to one base URL; raises ApiError subclasses, never requests'."""

    def __init__(self, base_url: str, session: requests.Session | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT):
        self.base_url = base_url.rstrip("/") + "/"
        self.session = session or requests.Session()
        self.timeout = timeout

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        url = urljoin(self.base_url, path.lstrip("/"))
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)  # a redirect could leave the allowed hosts
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.Timeout as exc:
            raise Temporary(f"{method} {path}: timed out") from exc
        except requests.ConnectionError as exc:
            raise Temporary(f"{method} {path}: connection failed") from exc
        raise_for_status(response, f"{method} {path}")
        return response


def raise_for_status(response: requests.Response, what: str) -> None:
    """Map an HTTP status to the error family; 2xx passes."""
    status = response.status_code
    if status < 300:
        return
    detail = f"{what}: HTTP {status} {_short(response)}"
    if status in (401, 403):
        raise Unauthorized(detail, status)
    if status == 404:
        raise NotFound(detail, status)
    if status == 429:
        raise RateLimited(detail, retry_after_seconds(response.headers.get("Retry-After")))
    if status >= 500 or status in (408, 409, 425):
        raise Temporary(detail, status)
    raise Invalid(detail, status)


def _short(response: requests.Response) -> str:
    text = (response.text or "").strip().replace("\n", " ")
    return text[:300]
