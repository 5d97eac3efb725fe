"""The archive's only door to yt-dlp: extracting info dicts, fetching caption files, downloading media.

``make_downloader(params)`` is the seam: tests pass a factory building a ``YoutubeDL`` that knows only a test
extractor talking to 127.0.0.1. Every yt-dlp failure leaves this module as a ``FetchError`` saying whether it
is worth retrying now (5xx, connection reset, timeout), later (HTTP 429) or not at all.

A ``Fetcher`` made with ``allow_private=False`` (the web staff area) guards every client it builds
(``archive.netguard``): each request, redirect hop and connection must reach a public address. A factory from
``guarded_factory(factory, allowed)`` carries its own notion of "allowed" instead (tests: one 127.0.0.1 port).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from yt_dlp import YoutubeDL
from yt_dlp.networking import Request
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError, YoutubeDLError

from archive.checks import AddressCheck, Resolver, check_public_url
from archive.errors import FetchError
from archive.netguard import AddressPolicy, NetworkRefused, guard_network

DownloaderFactory = Callable[[dict], Any]

BASE_PARAMS: dict = {
    "quiet": True,
    "no_warnings": True,
    "noprogress": True,
    "skip_download": True,
    "socket_timeout": 30,
    "extractor_retries": 0,
    "ignoreerrors": False,
    "color": "no_color",
}


def make_downloader(params: dict) -> YoutubeDL:
    """The production factory: a ``YoutubeDL`` with every extractor yt-dlp has."""
    return YoutubeDL(params)


def guarded_factory(
    factory: DownloaderFactory, allowed: AddressCheck, resolve: Resolver | None = None
) -> DownloaderFactory:
    """A factory whose clients connect only where ``allowed(ip, port)`` says (names resolved by ``resolve``),
    whatever ``allow_private`` is; the URL checks made before fetching use the same rule."""
    policy = AddressPolicy(allowed, resolve)

    def build(params: dict):
        return guard_network(factory(params), policy)

    build.network_policy = policy
    return build


def check_fetch_url(url: str, factory: DownloaderFactory | None, *, allow_private: bool) -> str:
    """``check_public_url`` with the address rule of ``factory``'s clients: refuse before anything is queued."""
    policy = network_policy(factory)
    return check_public_url(url, allow_private=allow_private, resolve=policy.resolve, allowed=policy.allowed)


def network_policy(factory: DownloaderFactory | None) -> AddressPolicy:
    """The address rule of ``factory``'s clients: its own (``guarded_factory``) or public addresses only."""
    return getattr(factory, "network_policy", None) or AddressPolicy()


class _Logger:
    """Keeps yt-dlp quiet; its errors reach the caller as exceptions instead."""

    def debug(self, msg: str) -> None:
        pass

    info = warning = error = debug


class Fetcher:
    """One yt-dlp client for a run of fetches."""

    def __init__(self, factory: DownloaderFactory | None = None, *, allow_private: bool = True, **params):
        self.factory = factory or make_downloader
        self.policy = None if allow_private else network_policy(factory)
        self.params = {**BASE_PARAMS, "logger": _Logger(), **params}

    def _client(self, **extra):
        client = self.factory({**self.params, **extra})
        return client if self.policy is None else guard_network(client, self.policy)

    def info(self, url: str) -> dict:
        """The full info dict of a video (or a playlist with its entries resolved), nothing downloaded."""
        return self._extract(url, {})

    def listing(self, url: str) -> dict:
        """A video's info dict, or a playlist's with entries left as references (``_type: url``): cheap."""
        return self._extract(url, {"extract_flat": "in_playlist"})

    def _extract(self, url: str, extra: dict) -> dict:
        try:
            with self._client(**extra) as ydl:
                info = ydl.extract_info(url, download=False)
                return ydl.sanitize_info(info, remove_private_keys=False)
        except (YoutubeDLError, OSError) as exc:
            raise fetch_error(url, exc) from exc

    def fetch_bytes(self, url: str, headers: dict | None = None) -> bytes:
        """GET ``url`` through yt-dlp's networking (its cookies, proxy and headers)."""
        try:
            with self._client() as ydl, ydl.urlopen(Request(url, headers=headers or {})) as response:
                return response.read()
        except (YoutubeDLError, OSError) as exc:
            raise fetch_error(url, exc) from exc

    def download_media(
        self, url: str, folder: Path, on_percent: Callable[[float], None] | None = None
    ) -> Path:
        """Download the best single-file media of ``url`` into ``folder``; returns the file's path."""
        hooks = [_percent_hook(on_percent)] if on_percent else []
        params = {
            "skip_download": False,
            "outtmpl": {"default": str(folder / "%(id)s.%(ext)s")},
            "progress_hooks": hooks,
            "format": "best/bestvideo+bestaudio",
            "noplaylist": True,
            "retries": 3,
        }
        try:
            with self._client(**params) as ydl:
                info = ydl.extract_info(url, download=True)
        except (YoutubeDLError, OSError) as exc:
            raise fetch_error(url, exc) from exc
        files = [Path(d["filepath"]) for d in info.get("requested_downloads") or () if d.get("filepath")]
        files = [f for f in files if f.is_file()] or [f for f in folder.iterdir() if f.is_file()]
        if not files:
            raise FetchError(f"{url}: the media download produced no file")
        return files[0]


def _percent_hook(on_percent: Callable[[float], None]) -> Callable[[dict], None]:
    def hook(status: dict) -> None:
        total = status.get("total_bytes") or status.get("total_bytes_estimate")
        if status.get("status") == "finished":
            on_percent(100.0)
        elif total and status.get("downloaded_bytes") is not None:
            on_percent(min(100.0, 100.0 * status["downloaded_bytes"] / total))

    return hook


def fetch_error(url: str, exc: BaseException) -> FetchError:
    """Classify a yt-dlp (or socket) failure: transient, rate limited, or permanent (a refused address)."""
    refused = _find(exc, NetworkRefused)
    if refused is not None:
        message = str(refused.msg)
        return FetchError(message if message.startswith(url) else f"{url}: {message}")
    http = _find(exc, HTTPError)
    if http is not None:
        status = http.status
        if status == 429:
            return FetchError(
                f"{url}: HTTP 429 Too Many Requests (rate limited); try again later",
                status=429,
                rate_limited=True,
                retry_after=_retry_after(http),
            )
        return FetchError(
            f"{url}: HTTP {status} {http.reason or ''}".rstrip(), status=status, transient=status >= 500
        )
    if _find(exc, TransportError) or _find(exc, socket.timeout) or _find(exc, ConnectionError):
        return FetchError(f"{url}: connection failed: {_message(exc)}", transient=True)
    return FetchError(f"{url}: {_message(exc)}")


def _find(exc: BaseException | None, kind: type) -> Any:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, kind):
            return exc
        if isinstance(exc, DownloadError) and exc.exc_info and exc.exc_info[1] is not exc:
            exc = exc.exc_info[1]
        elif isinstance(exc, ExtractorError) and exc.cause is not None:
            exc = exc.cause if isinstance(exc.cause, BaseException) else None
        else:
            exc = exc.__cause__ or exc.__context__
    return None


def _retry_after(http: HTTPError) -> float | None:
    try:
        value = http.response.headers.get("Retry-After")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def _message(exc: BaseException) -> str:
    text = str(getattr(exc, "orig_msg", None) or exc).strip()
    return text.removeprefix("ERROR: ").strip() or type(exc).__name__
