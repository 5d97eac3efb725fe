"""Checks on what callers hand the archive: dates, language codes, web addresses, and whether a URL's host is
safe to fetch from the web staff area (not loopback, private or link-local unless allowed)."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from archive.errors import ArchiveError
from catalog import parse_date

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")

Resolver = Callable[[str], list[str]]  # host name -> its addresses
AddressCheck = Callable[[str, int], bool]  # (address, port) -> may the archive connect there?
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network(
    "::/96"
)  # deprecated ::a.b.c.d, still routed to a.b.c.d by some stacks


def check_date(value: str | None) -> str | None:
    """``YYYY-MM-DD`` or ``None``; anything else is refused."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if parse_date(text) is None:
        raise ArchiveError(f"date {value!r} is not a real date written YYYY-MM-DD")
    return text


def check_language(code: str) -> str:
    """A language code like ``en``, ``en-US``, ``pt-BR``; it becomes part of file names, so nothing else."""
    if not _LANGUAGE.match(code or ""):
        raise ArchiveError(f"{code!r} is not a language code (like en, es or en-US)")
    return code


def check_web_url(value: str | None, what: str = "URL") -> str | None:
    """An ``http(s)://host/...`` address or ``None``."""
    if value is None or value == "":
        return None
    try:
        parts = urlsplit(str(value).strip())
        hostname = parts.hostname  # reading it checks the port too
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:  # "http://[::1" (an unclosed IPv6 bracket), "http://host:99999"
        raise ArchiveError(f"{what} {value!r} is not a web address: {exc}") from exc
    if parts.scheme not in ("http", "https") or not hostname:
        raise ArchiveError(f"{what} {value!r} is not a web address (http:// or https://)")
    return str(value).strip()


def is_url(text: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text))


def check_public_url(
    url: str,
    *,
    allow_private: bool = False,
    resolve: Resolver | None = None,
    allowed: AddressCheck | None = None,
) -> str:
    """Refuse a URL whose host is loopback, private, link-local, multicast or reserved (after resolving its
    name; one such address among several is enough), unless ``allow_private``. Guards the staff area's
    "paste a URL" against reaching inside the network. ``allowed(ip, port)`` replaces the public-address rule
    (tests use it to let one 127.0.0.1 server count as "outside")."""
    check_web_url(url)
    if allow_private:
        return url
    refusal = url_refusal(url, resolve=resolve, allowed=allowed)
    if refusal:
        raise ArchiveError(f"{url}: {refusal}")
    return url


def url_refusal(
    url: str, *, resolve: Resolver | None = None, allowed: AddressCheck | None = None
) -> str | None:
    """Why the archive must not fetch ``url`` (not http(s), or a host with a non-public address), or ``None``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "it is not a web address (http:// or https://); refusing to fetch it"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "its port is not a number; refusing to fetch it"
    return host_refusal(parts.hostname, port, resolve=resolve, allowed=allowed)


def host_refusal(
    host: str, port: int, *, resolve: Resolver | None = None, allowed: AddressCheck | None = None
) -> str | None:
    """Why the archive must not connect to ``host``: one of its addresses is not public (or not ``allowed``)."""
    for address in (resolve or resolve_host)(host):
        if not (allowed or is_public_address)(address, port):
            return f"the host {host} is a private or local address ({address}); refusing to fetch it"
    return None


def is_public_address(address: str, port: int = 0) -> bool:
    """Whether ``address`` is a global unicast address (not loopback, private, link-local, shared, reserved,
    unspecified or multicast), also for every IPv4 address an IPv6 one carries: IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-compatible (``::a.b.c.d``), 6to4 (``2002:AABB:CCDD::``), Teredo (``2001:0::/32``, its client and
    server) and NAT64 (``64:ff9b::/96``, ``64:ff9b:1::/48``). Any port."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6:
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return all(v4.is_global and not v4.is_multicast for v4 in inner)
    return ip.is_global and not ip.is_multicast


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address stands for, or ``None`` when it is a plain IPv6 address."""
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.teredo is not None:
        return list(ip.teredo)
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if any(ip in net for net in _NAT64):
        return [low32]
    if ip in _IPV4_COMPATIBLE:
        return [low32]  # '::' and '::1' become 0.0.0.0 and 0.0.0.1: not global either
    return None


def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to (an address literal is itself); a name that does not resolve is an
    ``ArchiveError``."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ArchiveError(f"cannot resolve the host {host!r}: {exc}") from exc
    return sorted({info[4][0] for info in infos})
