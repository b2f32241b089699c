"""Where a webhook may be sent (SSRF guard).

Outside sandbox only globally routable unicast addresses are allowed: private, loopback,
link-local (cloud metadata), shared, multicast, reserved and unspecified addresses are refused.
Sandbox allows private and loopback addresses (a developer's receiver on localhost) but still
refuses link-local, multicast, reserved and unspecified ones.

The URL is checked when an endpoint is saved, and every attempt resolves the host again, checks
every address it resolves to, and connects to the checked address itself (the URL's host stays
in `Host` and in TLS SNI and certificate checks), so a name that is re-pointed at an internal
address after it was saved (DNS rebinding) is refused at the moment it matters.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from dataclasses import dataclass
from typing import Awaitable, Callable

import httpx

from backend.errors import ZentraError
from backend.outbound.connections import url_parts

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_URL_LENGTH = 2048
LOCAL_NAMES = ("localhost", "localhost.localdomain")


class Blocked(Exception):
    """The destination is not allowed in this mode."""


class Unresolvable(Exception):
    """The host name did not resolve."""


def refusal(address: Address, sandbox: bool) -> str | None:
    """Why `address` may not receive webhooks in this mode, or None if it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_multicast or address.is_unspecified or address.is_link_local:
        return f"{address} is a multicast, link-local or unspecified address"
    if address.is_global:
        return None
    if sandbox and (address.is_loopback or (address.is_private and not address.is_reserved)):
        return None
    return f"{address} is a private, loopback or reserved address" + ("" if sandbox else " (private and loopback are allowed in sandbox only)")


def check_url(url: str, sandbox: bool, param: str = "url") -> str:
    """A URL an endpoint may be saved with, or `validation_error` naming `param`.

    Host names are judged by the addresses they resolve to at each delivery; literal addresses
    and local names are judged here already.
    """
    if len(url) > MAX_URL_LENGTH:
        raise ZentraError("validation_error", f"{param} must be at most {MAX_URL_LENGTH} characters", param)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise ZentraError("validation_error", f"{param} is not a valid URL", param) from None
    allowed_schemes = ("http", "https") if sandbox else ("https",)
    if parsed.scheme not in allowed_schemes:
        raise ZentraError("validation_error", f"{param} must be https" + (" (or http in sandbox)" if sandbox else " in live mode"), param)
    if not parsed.host or parsed.userinfo:
        raise ZentraError("validation_error", f"{param} needs a host and no user name or password", param)
    reason = _literal_refusal(parsed.host, sandbox)
    if reason:
        raise ZentraError("validation_error", f"{param} is not allowed: {reason}", param)
    return url


def _literal_refusal(host: str, sandbox: bool) -> str | None:
    if not sandbox and (host.lower().rstrip(".") in LOCAL_NAMES or host.lower().rstrip(".").endswith(".localhost")):
        return f"{host} is a local name (allowed in sandbox only)"
    try:
        return refusal(ipaddress.ip_address(host), sandbox)
    except ValueError:
        return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the operating system's resolver (without blocking the loop)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Unresolvable(f"{host} does not resolve: {exc.strerror}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


@dataclass(frozen=True)
class Destination:
    """A checked address to connect to, and what the request names: the URL's host in `Host`
    and in TLS (SNI and the certificate check), its path and query as the target."""

    scheme: str
    address: str
    port: int
    target: str
    host_header: str
    sni_hostname: str


@functools.lru_cache(maxsize=4096)
def _literal(host: str) -> Address | None:
    """The host as an address if it is one."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def destination(url: str, sandbox: bool, resolver: Resolver = system_resolver) -> Destination:
    """Resolve `url`'s host and check every address: `Blocked` if any is refused (a name that
    also points inside is refused whole), `Unresolvable` if there is none."""
    parts = url_parts(url)
    host, port, literal = parts.host, parts.port, _literal(parts.host)
    if literal is not None:
        addresses = [literal]
    else:
        local = _literal_refusal(host, sandbox)
        if local:
            raise Blocked(local)
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in await resolver(host, port)]
    if not addresses:
        raise Unresolvable(f"{host} has no addresses")
    for address in addresses:
        reason = refusal(address, sandbox)
        if reason:
            raise Blocked(reason)
    return Destination(parts.scheme, str(addresses[0]), port, parts.target, parts.host_header, host)
