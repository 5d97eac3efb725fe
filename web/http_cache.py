"""HEAD wherever GET works, and validators with ``304 Not Modified`` on every cacheable GET.

``HeadAsGet`` answers a HEAD on a route that declares only GET (the router says 405) by running the GET and
sending its headers without the body; routes that handle HEAD themselves (media files, static files) still do.

``Validators`` gives every successful public GET an ``ETag`` and a ``Last-Modified`` and answers a matching
``If-None-Match`` (or, without one, a not-older ``If-Modified-Since``) with 304. A generated response's ETag is
derived from the catalog's data version (``Catalog.version_at``, the same in every worker process), the build
(templates and static files) and the route's inputs: path, query string, scheme and host. A matching
``If-None-Match`` is answered before the route runs. File responses (media, caption files, the open-data export)
keep the validators of their file. Staff pages and ``/healthz`` are never cached (``Cache-Control: no-store``);
responses that set a cookie or are not 200 get no validators.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalog import Catalog
from web.catalogs import current_target

PRIVATE = ("/staff", "/api/staff")
LIVE = ("/healthz",)
UNVALIDATED = ("/static/",)  # StaticFiles sends and checks its own validators
REVALIDATE = "no-cache"  # a cache may keep a copy but must ask (a 304 is cheap) before using it
NO_STORE = "no-store"


class HeadAsGet:
    """A HEAD the app refuses with 405 (its route declares only GET) is run again as a GET, headers only."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        refused = False

        async def unless_refused(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and message["status"] == 405:
                refused = True
            if not refused:
                await send(message)

        await self.app(scope, receive, unless_refused)
        if not refused:
            return

        async def headers_only(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2): ``W/"x"`` and ``"x"`` match; ``*`` matches any."""
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(request_headers: Headers, etag: str | None, last_modified: str | None) -> bool:
    if "if-none-match" in request_headers:
        return etag is not None and matches(request_headers["if-none-match"], etag)
    since, modified = request_headers.get("if-modified-since"), last_modified
    if not since or not modified:
        return False
    try:
        return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class Validators:
    def __init__(self, app: ASGIApp, catalog_path: Path | str, build: str):
        self.app = app
        self.catalog_path = catalog_path
        self.build = build
        self.started = time.time()  # what a page shows also depends on the code serving it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or path.startswith(UNVALIDATED):
            await self.app(scope, receive, send)
            return
        if path.startswith(PRIVATE) or path in LIVE:
            await self.app(scope, receive, _with_cache_control(send, NO_STORE))
            return
        replica = current_target.get()  # a read replica answers this request (web/replicas.py): its version
        # before the route reads the data it stands for
        version = Catalog.version_at(replica or self.catalog_path, replica=replica is not None)
        etag = self.etag(scope, version.token)
        last_modified = formatdate(max(version.modified, self.started), usegmt=True)
        request_headers = Headers(scope=scope)
        if "if-none-match" in request_headers and matches(request_headers["if-none-match"], etag):
            await _send_not_modified(
                send, [(b"etag", etag.encode()), (b"last-modified", last_modified.encode())]
            )
            return
        await self.app(scope, receive, _Conditional(send, request_headers, etag, last_modified).send)

    def etag(self, scope: Scope, token: str) -> str:
        headers = Headers(scope=scope)
        inputs = [self.build, token, scope.get("scheme", "http"), headers.get("host", ""), scope["path"]]
        inputs.append(scope.get("query_string", b"").decode("latin-1"))
        inputs.append(datetime.now(UTC).date().isoformat())  # session pages cite with today's access date
        return 'W/"' + hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:24] + '"'


class _Conditional:
    """Adds the validators to a 200 and turns it into a 304 when the request's validators match."""

    def __init__(self, send: Send, request_headers: Headers, etag: str, last_modified: str):
        self.downstream, self.request_headers = send, request_headers
        self.etag, self.last_modified = etag, last_modified
        self.dropping = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self.start(message)
        elif message["type"] == "http.response.body" and self.dropping:
            return
        else:
            await self.downstream(message)

    async def start(self, message: Message) -> None:
        headers = MutableHeaders(raw=list(message.get("headers", [])))
        cacheable = (
            message["status"] == 200
            and "set-cookie" not in headers
            and "no-store" not in headers.get("cache-control", "")
        )
        if not cacheable:
            await self.downstream(message)
            return
        if "etag" not in headers:  # generated here; a file response keeps its file's validators
            headers["etag"] = self.etag
            headers["last-modified"] = self.last_modified
        headers.setdefault("cache-control", REVALIDATE)
        if not_modified(self.request_headers, headers.get("etag"), headers.get("last-modified")):
            self.dropping = True
            kept = [(k, v) for k, v in headers.raw if k in (b"etag", b"last-modified", b"cache-control")]
            await _send_not_modified(self.downstream, kept)
            return
        await self.downstream({**message, "headers": headers.raw})


async def _send_not_modified(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    if not any(k == b"cache-control" for k, _ in headers):
        headers = [*headers, (b"cache-control", REVALIDATE.encode())]
    await send({"type": "http.response.start", "status": 304, "headers": headers})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _with_cache_control(send: Send, value: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(raw=list(message.get("headers", [])))
            headers.setdefault("cache-control", value)
            message = {**message, "headers": headers.raw}
        await send(message)

    return wrapped
