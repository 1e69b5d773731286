"""The guard against server-side request forgery for every outbound HTTP call leadflow makes to
a URL someone else chose (``webhook`` nodes, webhook subscriptions).

* **Public addresses only** (unless ``LEADFLOW_WEBHOOK_ALLOW_PRIVATE``): every address the host
  resolves to must be globally routable and not multicast. IPv6 forms that carry an IPv4
  address are judged by that address: IPv4-mapped (``::ffff:127.0.0.1``), IPv4-compatible
  (``::127.0.0.1``), IPv4-translated (``::ffff:0:127.0.0.1``), NAT64 (``64:ff9b::7f00:1``; the
  local-use prefix ``64:ff9b:1::/48`` is never public), 6to4 (``2002:7f00:1::``) and Teredo
  (server and client).
* **Resolved once, connected to what was checked**: the request goes to the checked address
  itself (the URL's host replaced by it), with the original ``Host`` header and, for https, the
  original name as TLS server name (SNI) and for the certificate check. A name that answers a
  public address to the check and a private one a moment later (DNS rebinding) cannot steer the
  connection. When the first address cannot be connected to, the next checked one is tried
  (nothing was sent yet), up to :data:`MAX_ADDRESSES`.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]  # (host, port) -> addresses, in preference order

MAX_ADDRESSES = 3
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


class TargetRefused(Exception):
    """The URL may not be called; ``reason`` says why (no secret in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]).split("%")[0] for info in infos]


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (empty for a plain IPv6 address)."""
    value = int(address)
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    if address in _NAT64 or value >> 32 in (0, 0xFFFF0000):
        # NAT64, IPv4-compatible (::a.b.c.d, but for :: and ::1) and IPv4-translated
        if value >> 32 == 0 and value <= 1:
            return []
        return [ipaddress.IPv4Address(value & 0xFFFFFFFF)]
    return []


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False
        inner = embedded_ipv4(address)
        if inner:
            return all(is_public(v4) for v4 in inner)
    return address.is_global and not address.is_multicast


@dataclass(frozen=True, slots=True)
class Target:
    """One address to connect to for a URL: the URL to request, its Host header and SNI."""

    url: httpx.URL
    host_header: str
    server_name: str | None


def check(url: str, allow_private: bool, resolver: Resolver = system_resolver) -> list[Target]:
    """The addresses ``url`` may be called at (resolved once, checked), or TargetRefused."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
        parsed = httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        raise TargetRefused(f"webhook url is malformed: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise TargetRefused(f"webhook url must be http(s) with a host: {url!r}")
    try:
        found = resolver(host, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError, ValueError) as exc:
        raise TargetRefused(
            f"cannot resolve {host!r}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    addresses: list[IPAddress] = []
    for text in found:
        address = ipaddress.ip_address(text)
        if not allow_private and not is_public(address):
            raise TargetRefused(
                f"webhook target {host!r} resolves to non-public address {address}; "
                "set LEADFLOW_WEBHOOK_ALLOW_PRIVATE=true to allow it"
            )
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefused(f"cannot resolve {host!r}: no address")
    literal = _is_literal(host)
    host_header = parsed.netloc.decode("ascii")
    server_name = None if literal or parts.scheme != "https" else parsed.host
    return [
        Target(parsed.copy_with(host=str(a)), host_header, server_name)
        for a in addresses[:MAX_ADDRESSES]
    ]


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def refused_reason(
    url: str, allow_private: bool, resolver: Resolver = system_resolver
) -> str | None:
    """Why ``url`` may not be called, or None when it may."""
    try:
        check(url, allow_private, resolver)
    except TargetRefused as exc:
        return exc.reason
    return None


def guarded_request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    allow_private: bool,
    headers: Mapping[str, str],
    content: bytes | None,
    resolver: Resolver = system_resolver,
) -> httpx.Response:
    """``client.request`` to the checked addresses of ``url`` (TargetRefused when it may not
    be called; the last connection error when none of them could be connected to)."""
    targets = check(url, allow_private, resolver)
    failure: httpx.HTTPError | None = None
    for target in targets:
        sent = {k: v for k, v in headers.items() if k.lower() != "host"}
        sent["Host"] = target.host_header
        extensions = {"sni_hostname": target.server_name} if target.server_name else None
        try:
            return client.request(
                method, target.url, headers=sent, content=content, extensions=extensions
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing was sent
            failure = exc
    assert failure is not None
    raise failure


class GuardedClient:
    """Calls only the checked addresses of a URL (:func:`guarded_request`; private targets
    too when ``allow_private``), never following a redirect, through an httpx client made on
    first use: most processes never call out."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout_s: float = 10.0,
        client: httpx.Client | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.allow_private = allow_private
        self.timeout_s = timeout_s
        self.resolver = resolver
        self._client = client

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout_s, follow_redirects=False)
        return self._client

    def request(
        self, method: str, url: str, headers: Mapping[str, str], content: bytes | None
    ) -> httpx.Response:
        """``method`` ``url`` (TargetRefused when it may not be called)."""
        return guarded_request(
            self.client,
            method,
            url,
            allow_private=self.allow_private,
            headers=headers,
            content=content,
            resolver=self.resolver,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
