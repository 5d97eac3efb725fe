"""Keeping yt-dlp outside the network it runs in: every request a guarded ``YoutubeDL`` makes goes to an
allowed (by default: public) address, redirect hops and media downloads included.

``guard_network(ydl, allowed)`` swaps the client's request handlers for one urllib-based handler that

- checks each request URL (scheme http, https or data; every address its host resolves to) before sending it;
- checks each redirect hop the same way before following it;
- resolves the host once more when it opens the socket, refuses if *any* address is not allowed, and then
  connects to exactly the addresses it checked, so a name that changes its answer between the URL check and
  the connection (DNS rebinding) is refused instead of followed.

A proxy configured by the operator (``proxy`` parameter or the environment) is trusted: the socket to it is not
checked, only the URLs sent through it (the proxy resolves the names again, so rebinding is not closed there).
Media is downloaded only by yt-dlp's own HTTP downloader (through the guarded handler); downloaders that open
their own connections (ffmpeg, rtmpdump, aria2c, websockets, HLS/DASH fragments that could fall back to ffmpeg)
are refused.
"""

from __future__ import annotations

import functools
import http.client
import socket
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from yt_dlp.downloader import get_suitable_downloader
from yt_dlp.downloader.http import HttpFD
from yt_dlp.networking._urllib import HTTPHandler, ProxyHandler, RedirectHandler, UrllibRH
from yt_dlp.networking.exceptions import RequestError

from archive.checks import AddressCheck, Resolver, host_refusal, is_public_address, resolve_host, url_refusal
from archive.errors import ArchiveError


class NetworkRefused(RequestError):
    """yt-dlp was about to reach an address (or use a downloader) a guarded ingest does not allow."""


class AddressPolicy:
    """Where a guarded client may connect: ``allowed(ip, port)``, with names resolved by ``resolve``."""

    def __init__(self, allowed: AddressCheck | None = None, resolve: Resolver | None = None):
        self.allowed = allowed or is_public_address
        self.resolve = resolve or resolve_host

    def check_url(self, url: str) -> None:
        """Raise ``NetworkRefused`` unless every address of ``url``'s host is allowed."""
        refusal = self.refusal(url)
        if refusal:
            raise NetworkRefused(f"{url}: {refusal}")

    def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be fetched, or ``None`` (a ``data:`` URL never leaves the process)."""
        if url.startswith("data:"):
            return None
        try:
            return url_refusal(url, resolve=self.resolve, allowed=self.allowed)
        except ArchiveError as exc:
            return str(exc)

    def check_proxy(self, proxy: str | None) -> None:
        """A proxy chosen for one request (by extractor code, not by the operator) must be allowed too."""
        if not proxy:
            return
        parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
        try:
            refusal = host_refusal(
                parts.hostname or "", parts.port or 1080, resolve=self.resolve, allowed=self.allowed
            )
        except (ArchiveError, ValueError) as exc:
            refusal = str(exc)
        if refusal:
            raise NetworkRefused(f"the request's proxy {proxy}: {refusal}")

    def connect(self, address: tuple[str, int], timeout=None, source_address=None) -> socket.socket:
        """Open a TCP connection to ``(host, port)`` through the addresses checked here, and no others."""
        host, port = address
        try:
            addresses = self.resolve(host)
        except ArchiveError as exc:
            raise NetworkRefused(str(exc)) from exc
        for ip in addresses:
            if not self.allowed(ip, port):
                raise NetworkRefused(
                    f"the host {host} is a private or local address ({ip}); refusing to connect to it (port {port})"
                )
        if source_address:
            addresses = [ip for ip in addresses if (":" in ip) == (":" in source_address[0])]
        return _connect_first(addresses, port, timeout, source_address, host)


def _connect_first(addresses: list[str], port: int, timeout, source_address, host: str) -> socket.socket:
    error: OSError = OSError(f"the host {host} has no address to connect to")
    for ip in addresses:
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect((ip, port))
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error


class _CheckedHTTPHandler(HTTPHandler):
    """yt-dlp's HTTP(S) handler whose direct connections go through ``AddressPolicy.connect``."""

    def __init__(self, policy: AddressPolicy, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy

    def http_open(self, req):
        return self._open(http.client.HTTPConnection, req)

    def https_open(self, req):
        return self._open(http.client.HTTPSConnection, req, context=self._context)

    def _open(self, base: type, req, **kwargs):
        through_proxy = bool(req._tunnel_host or req.has_proxy() or req.get_header("Ytdl-socks-proxy"))
        connection = self._make_conn_class(base, req)
        build = functools.partial(self._connection, connection, None if through_proxy else self.policy)
        return self.do_open(build, req, **kwargs)

    def _connection(self, connection: type, policy: AddressPolicy | None, *args, **kwargs):
        conn = connection(*args, **kwargs)
        if policy is not None:
            conn._create_connection = policy.connect
        if self._source_address is not None:
            conn.source_address = (self._source_address, 0)
        return conn


class _CheckedRedirects(RedirectHandler):
    """Follows a redirect only to an allowed address."""

    def __init__(self, policy: AddressPolicy):
        self.policy = policy

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        refusal = self.policy.refusal(newurl)
        if refusal:
            raise NetworkRefused(f"{req.full_url} redirects to {newurl}, but {refusal}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class GuardedRH(UrllibRH):
    """The only request handler of a guarded client: http, https and data URLs, every hop checked."""

    _SUPPORTED_URL_SCHEMES = ("http", "https", "data")
    RH_NAME = "urllib (guarded)"

    def __init__(self, *, policy: AddressPolicy, enable_file_urls: bool = False, **kwargs):
        super().__init__(enable_file_urls=False, **kwargs)
        self.policy = policy

    def _create_instance(self, proxies, cookiejar, legacy_ssl_support=None):
        opener = urllib.request.OpenerDirector()
        context = self._make_sslcontext(legacy_ssl_support=legacy_ssl_support)
        for handler in (
            ProxyHandler(proxies),
            _CheckedHTTPHandler(
                self.policy,
                debuglevel=int(bool(self.verbose)),
                context=context,
                source_address=self.source_address,
            ),
            urllib.request.HTTPCookieProcessor(cookiejar),
            urllib.request.DataHandler(),
            urllib.request.UnknownHandler(),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPErrorProcessor(),
            _CheckedRedirects(self.policy),
        ):
            opener.add_handler(handler)
        opener.addheaders = []
        return opener

    def _send(self, request):
        self.policy.check_url(request.url)
        for proxy in (request.proxies or {}).values():
            self.policy.check_proxy(proxy)
        return super()._send(request)


def guard_network(ydl, policy: AddressPolicy | None = None):
    """Make ``ydl`` (a ``YoutubeDL``) reach only what ``policy`` allows; a client already guarded keeps its
    policy. Returns ``ydl``."""
    if getattr(ydl, "_uscm_network_policy", None) is not None:
        return ydl
    policy = policy or AddressPolicy()
    ydl._uscm_network_policy = policy
    build = ydl.build_request_director
    ydl.build_request_director = lambda handlers, preferences=None: build(
        [functools.partial(GuardedRH, policy=policy)]
    )
    if "_request_director" in ydl.__dict__:
        ydl.__dict__.pop("_request_director").close()
    ydl.dl = _plain_http_only(ydl, ydl.dl)
    return ydl


def _plain_http_only(ydl, download: Callable) -> Callable:
    def guarded(name, info, subtitle=False, test=False):
        chosen = get_suitable_downloader(dict(info), ydl.params, to_stdout=(name == "-"))
        if chosen is not HttpFD:
            protocol = info.get("protocol") or "an unknown protocol"
            raise NetworkRefused(
                f"its media comes over {protocol}, which a guarded ingest does not download "
                "(only plain http(s) files, fetched through the address checks)"
            )
        return download(name, info, subtitle, test)

    return guarded
