"""Which network addresses an ATS API client may connect to, checked as it connects.

A base URL is only a name: it may resolve to a cloud metadata service, to this machine or to
a database on the private network, and resolve differently the next time (DNS rebinding). So
every new connection resolves the name, checks each address, and connects to exactly the
address it checked. Link-local and metadata addresses are never called; loopback and private
ones only when the process allows them (ALLOW_PRIVATE_ATS_HOSTS).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from adapters.errors import HostNotAllowed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services by name and by address (AWS, GCP, Azure, OCI, Alibaba, ECS).
METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "metadata.goog",
                            "instance-data", "instance-data.ec2.internal"})
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200"))
NAT64 = ipaddress.ip_network("64:ff9b::/96")
HINT = "set ALLOW_PRIVATE_ATS_HOSTS=on to allow it"
_private_allowed = False


def allow_private_addresses(allowed: bool) -> None:
    """Let this process call loopback and private addresses (tests, local fakes, the sandbox)."""
    global _private_allowed
    _private_allowed = bool(allowed)


def private_addresses_allowed() -> bool:
    return _private_allowed


def address_kind(address: str) -> str | None:
    """What kind of address may not be called ("a link-local address"), or None if it may."""
    ip = _embedded_ipv4(ipaddress.ip_address(address.split("%", 1)[0]))
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast or ip.is_unspecified or (ip.is_reserved and not ip.is_loopback):
        return "not a unicast address"
    if ip.is_global or _private_allowed:
        return None
    return f"a {'loopback' if ip.is_loopback else 'private'} address ({HINT})"


def name_refusal(host: str) -> str | None:
    """Why a host may not be called, judged by its name or literal address; None if unsure."""
    host = host.strip("[]").rstrip(".").lower()
    if host in METADATA_NAMES:
        return f"{host} is a cloud metadata host"
    if host == "localhost" or host.endswith(".localhost"):
        return None if _private_allowed else f"{host} is a loopback address ({HINT})"
    try:
        kind = address_kind(host)
    except ValueError:
        return None  # a name: its addresses are checked when it is connected to
    return f"{host} is {kind}" if kind else None


def resolve_checked(host: str, port: int) -> list[str]:
    """The host's addresses, once every one is allowed; raise HostNotAllowed otherwise."""
    refusal = name_refusal(host)
    if refusal:
        raise HostNotAllowed(refusal)
    found = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    for address in addresses:
        kind = address_kind(address)
        if kind:
            raise HostNotAllowed(f"{host} resolves to {address}, {kind}")
    return addresses


def _embedded_ipv4(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 address; else the address itself."""
    if isinstance(ip, ipaddress.IPv4Address):
        return ip
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


class _CheckedConnection:
    """Connects only to addresses resolve_checked allowed, trying each in turn."""

    def _new_conn(self) -> socket.socket:
        name, failure = self._dns_host, None
        try:
            addresses = resolve_checked(name, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        for address in addresses:
            self._dns_host = address
            try:
                return super()._new_conn()
            except (NewConnectionError, ConnectTimeoutError) as exc:
                failure = exc
            finally:
                self._dns_host = name
        raise failure


class CheckedHTTPConnection(_CheckedConnection, HTTPConnection):
    """HTTP to allowed addresses only."""


class CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    """HTTPS to allowed addresses only; the certificate is still checked against the name."""


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = CheckedHTTPSConnection


class AddressCheckingAdapter(HTTPAdapter):
    """A requests transport whose every new connection goes through resolve_checked."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool,
                                                   "https": _CheckedHTTPSPool}

    def send(self, request, stream=False, timeout=None, verify=True, cert=None,
             proxies: Mapping[str, str] | None = None):
        """Through a proxy the proxy connects, so the target's addresses are checked first."""
        if proxies and select_proxy(request.url, proxies):
            _check_behind_proxy(request.url)
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert,
                            proxies=proxies)


def _check_behind_proxy(url: str) -> None:
    parts = urlsplit(url)
    try:
        resolve_checked(parts.hostname or "", parts.port or 443)
    except OSError:
        pass  # a name only the proxy can resolve: the proxy is the one to refuse it
