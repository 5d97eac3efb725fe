"""Checks on what callers hand the archive: dates, language codes, web addresses, and whether a URL's host is
safe to fetch from the web staff area (not loopback, private or link-local unless allowed)."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from datetime import date as Date
from urllib.parse import urlsplit

from archive.errors import ArchiveError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")

Resolver = Callable[[str], list[str]]


def check_date(value: str | None) -> str | None:
    """``YYYY-MM-DD`` or ``None``; anything else is refused."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        if not _DATE.match(text):
            raise ValueError
        Date.fromisoformat(text)
    except ValueError:
        raise ArchiveError(f"date {value!r} is not a date in the form YYYY-MM-DD") from None
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


def check_public_url(url: str, *, allow_private: bool = False, resolve: Resolver | None = None) -> str:
    """Refuse a URL whose host is loopback, private, link-local, multicast or reserved (after resolving its
    name), unless ``allow_private``. Guards the staff area's "paste a URL" against reaching inside the network."""
    check_web_url(url)
    if allow_private:
        return url
    host = urlsplit(url).hostname or ""
    for address in (resolve or _resolve)(host):
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if getattr(ip, "ipv4_mapped", None):
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            raise ArchiveError(
                f"{url}: the host {host} is a private or local address ({ip}); refusing to fetch it"
            )
    return url


def _resolve(host: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ArchiveError(f"cannot resolve the host {host!r}: {exc}") from exc
    return sorted({info[4][0] for info in infos})
