"""gzip for text responses (pages, JSON, feeds, captions, CSS and JS), when the client accepts it.

Media and other binary files, partial (Range) responses, HEAD requests, responses already encoded and bodies
under ``MINIMUM_SIZE`` pass through untouched, byte for byte. A response that arrives in one piece (pages,
JSON) is compressed in one call; a streamed one is compressed chunk by chunk without buffering.
"""

from __future__ import annotations

import zlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 500
# A 3-hour session page (461 kB of HTML): level 4 makes 114 kB in ~5 ms, zlib's default 6 makes 110 kB in ~9 ms.
LEVEL = 4
TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/javascript",
    "application/ld+json",
    "application/x-subrip",
    "image/svg+xml",
)
NO_BODY = (204, 206, 304)


def accepts_gzip(scope: Scope) -> bool:
    accepted = Headers(scope=scope).get("accept-encoding", "")
    for part in accepted.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00"):
            return True
    return False


def compressible(message: Message) -> bool:
    """Whether a response start is text worth compressing and not already encoded or partial."""
    headers = Headers(raw=message.get("headers", []))
    kind = headers.get("content-type", "").lower()
    length = headers.get("content-length")
    return (
        message.get("status", 200) not in NO_BODY
        and kind.startswith(TEXT_TYPES)
        and "content-encoding" not in headers
        and "content-range" not in headers
        and not (length is not None and length.isdigit() and int(length) < MINIMUM_SIZE)
    )


class GzipText:
    """Pure ASGI middleware; see the module notes for what it leaves alone."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "HEAD" or not accepts_gzip(scope):
            await self.app(scope, receive, send)
            return
        await _Responder(send).run(self.app, scope, receive)


class _Responder:
    def __init__(self, send: Send):
        self.send = send
        self.start: Message | None = None
        self.stream = None  # a zlib compressor once a streamed body is being compressed
        self.passing = False

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive) -> None:
        await app(scope, receive, self.on_message)

    async def on_message(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if compressible(message):
                self.start = message  # held until the first body part shows how the body comes
            else:
                self.passing = True
                await self.send(message)
            return
        if message["type"] != "http.response.body" or self.passing:
            await self.send(message)
            return
        body, more = message.get("body", b""), message.get("more_body", False)
        if self.start is not None and self.stream is None and not more:
            await self._whole(body)
            return
        if self.stream is None:
            self.stream = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            await self._send_start(None)
        data = self.stream.compress(body) + (b"" if more else self.stream.flush())
        await self.send({"type": "http.response.body", "body": data, "more_body": more})

    async def _whole(self, body: bytes) -> None:
        if len(body) < MINIMUM_SIZE:
            await self.send(self._vary(self.start))
            await self.send({"type": "http.response.body", "body": body, "more_body": False})
            return
        packed = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        data = packed.compress(body) + packed.flush()
        await self._send_start(len(data))
        await self.send({"type": "http.response.body", "body": data, "more_body": False})

    async def _send_start(self, length: int | None) -> None:
        start = self._vary(self.start)
        headers = MutableHeaders(raw=start["headers"])
        headers["content-encoding"] = "gzip"
        if length is None:
            del headers["content-length"]
        else:
            headers["content-length"] = str(length)
        await self.send(start)

    @staticmethod
    def _vary(start: Message) -> Message:
        start = {**start, "headers": list(start.get("headers", []))}
        headers = MutableHeaders(raw=start["headers"])
        if "accept-encoding" not in headers.get("vary", "").lower():
            headers.add_vary_header("Accept-Encoding")
        return start
