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
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


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
    parts = urlsplit(str(value).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
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
    unspecified or multicast, also when wrapped in an IPv4-mapped or NAT64 IPv6 address). Any port."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6:
        inner = ip.ipv4_mapped or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if inner is not None:
            ip = inner
    return ip.is_global and not ip.is_multicast


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
