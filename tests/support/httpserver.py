"""A small threaded HTTP server on 127.0.0.1 for tests: the only "internet" a test may talk to.

Routes are set while the server runs, so a test can change what a URL answers between two calls::

    server.add("/talk.html", "<video src='/talk.mp4'>...</video>")
    server.add("/talk.vtt", Reply(status=503), Reply(body="WEBVTT\n..."))   # 503 once, then the file
    server.url("/talk.html")        # http://127.0.0.1:PORT/talk.html
    server.hits("/talk.vtt")         # how many times it was requested

Several replies for one path are given in order; the last one repeats. Unknown paths answer 404.
Use the ``local_server`` fixture (import it into a test module or a conftest) or ``LocalServer`` as a context manager.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".mp4": "video/mp4",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Reply:
    """One answer: status, body and headers. ``content_type`` defaults from the path's extension."""

    body: bytes | str = b""
    status: int = 200
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow host)

    def encoded(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client hanging up early (yt-dlp does) is not a test failure


class LocalServer:
    def __init__(self) -> None:
        self._routes: dict[str, list[Reply]] = {}
        self._hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # -- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- routes --------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, *replies: Reply | bytes | str) -> None:
        """Serve ``replies`` at ``path`` in order (the last one repeats); a plain body means a 200."""
        given = [r if isinstance(r, Reply) else Reply(body=r) for r in replies] or [Reply()]
        with self._lock:
            self._routes[path] = given

    def add_file(self, path: str, file: Path) -> None:
        self.add(path, Reply(body=Path(file).read_bytes()))

    def remove(self, path: str) -> None:
        with self._lock:
            self._routes.pop(path, None)

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits[path]

    def reset_hits(self) -> None:
        with self._lock:
            self._hits.clear()

    def _next_reply(self, path: str) -> Reply | None:
        with self._lock:
            self._hits[path] += 1
            replies = self._routes.get(path)
            if not replies:
                return None
            return replies.pop(0) if len(replies) > 1 else replies[0]


def _ranged(reply: Reply, body: bytes, wanted: str | None) -> tuple[int, bytes, dict[str, str]]:
    """A ``bytes=A-B`` Range request answered 206 when the reply offers ranges (``Accept-Ranges: bytes``), as
    media hosts do: browsers seek in a video by asking for the part they need."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (wanted or "").strip())
    if reply.status != 200 or reply.headers.get("Accept-Ranges") != "bytes" or not match or not body:
        return reply.status, body, {}
    first = int(match.group(1)) if match.group(1) else max(0, len(body) - int(match.group(2) or 0))
    last = min(int(match.group(2)), len(body) - 1) if match.group(1) and match.group(2) else len(body) - 1
    if first > last:
        return 416, b"", {"Content-Range": f"bytes */{len(body)}"}
    return 206, body[first : last + 1], {"Content-Range": f"bytes {first}-{last}/{len(body)}"}


def _handler_for(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._answer(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(send_body=False)

        def _answer(self, send_body: bool) -> None:
            path = self.path.split("?", 1)[0]
            reply = server._next_reply(path) or Reply(body="not found", status=404, content_type="text/plain")
            if reply.delay:
                time.sleep(reply.delay)
            body = reply.encoded()
            status, body, extra = _ranged(reply, body, self.headers.get("Range"))
            self.send_response(status)
            suffix = Path(path).suffix.lower()
            self.send_header("Content-Type", reply.content_type or CONTENT_TYPES.get(suffix, "text/plain"))
            self.send_header("Content-Length", str(len(body)))
            for name, value in {**reply.headers, **extra}.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # keep test output quiet
            pass

    return Handler


@pytest.fixture
def local_server():
    """A running ``LocalServer`` on 127.0.0.1, stopped after the test."""
    with LocalServer() as server:
        yield server
