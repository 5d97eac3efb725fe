"""gzip for text responses, by Starlette's ``GZipMiddleware``, when the client accepts it.

Starlette leaves alone partial (206) responses, responses already encoded, bodies under ``MINIMUM_SIZE`` (HEAD
responses have none) and the media types in ``EXCLUDED`` (audio, video, images, archives; we add the SQLite
export and other binary downloads). It compresses large bodies on a worker thread and streamed ones chunk by chunk.
What it does not do is read q-values: it compresses whenever "gzip" appears in ``Accept-Encoding``, even as
``gzip;q=0`` ("never gzip"). ``GzipText`` drops the codings a client refuses before Starlette looks, and gives
a HEAD response the ``Vary: Accept-Encoding`` its GET has (a HEAD has no body for Starlette to decide on).
HEAD responses are never compressed.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 500
# A 3-hour session page: level 4 and level 6 differ by ~10% in size and a few ms; see docs/benchmarks.md.
LEVEL = 4
EXCLUDED = (
    *DEFAULT_EXCLUDED_CONTENT_TYPES,
    "application/vnd.sqlite3",
    "application/octet-stream",
    "application/pdf",
)


def accepted_codings(value: str) -> str:
    """``Accept-Encoding`` without the codings it refuses (``q=0``)."""
    kept = []
    for part in value.split(","):
        name, _, params = part.strip().partition(";")
        quality = params.replace(" ", "").lower()
        if name.strip() and quality not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            kept.append(part.strip())
    return ", ".join(kept)


class GzipText:
    def __init__(self, app: ASGIApp):
        self.app = GZipMiddleware(
            app, minimum_size=MINIMUM_SIZE, compresslevel=LEVEL, exclude_content_types=EXCLUDED
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = [
                (name, accepted_codings(value.decode("latin-1")).encode("latin-1"))
                if name == b"accept-encoding"
                else (name, value)
                for name, value in scope.get("headers", [])
            ]
            scope = {**scope, "headers": headers}
        if scope["type"] == "http" and scope["method"] == "HEAD":
            await self.app(scope, receive, _vary_like_get(send))
            return
        await self.app(scope, receive, send)


def varies_by_encoding(message: Message) -> bool:
    """Whether Starlette would mark this response ``Vary: Accept-Encoding`` had it come with its body."""
    headers = Headers(raw=message.get("headers", []))
    kind = headers.get("content-type", "").partition(";")[0].strip().lower()
    length = headers.get("content-length", "")
    return (
        message["status"] != 206
        and "content-encoding" not in headers
        and not {kind, kind.partition("/")[0] + "/*"} & set(EXCLUDED)
        and length.isdigit()
        and int(length) >= MINIMUM_SIZE
        and "accept-encoding" not in headers.get("vary", "").lower()
    )


def _vary_like_get(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start" and varies_by_encoding(message):
            headers = MutableHeaders(raw=list(message.get("headers", [])))
            headers.add_vary_header("Accept-Encoding")
            message = {**message, "headers": headers.raw}
        await send(message)

    return wrapped
