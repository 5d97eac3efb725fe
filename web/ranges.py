"""Serving a file kept in an object store (``--media-store s3://…``): a proxied stream with HTTP Range.

The page keeps its own URL (``/sessions/<id>/media/<file>``), so the Content-Security-Policy stays ``'self'``, the
bucket stays private and the player seeks as it does on a local file: each Range the browser asks is one ranged
GetObject, streamed through in chunks (never whole in memory). One range per request (a multi-range request is
answered whole, as RFC 9110 allows); an unsatisfiable one is 416; a store that does not answer is a 503 page,
a missing object a 404.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from catalog import FileMissing, FileStore, FileStoreError

RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def wanted_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte asked by a ``Range`` header, ``None`` for the whole file; ``ValueError`` when no byte
    of it is in the file (416)."""
    found = RANGE.fullmatch((header or "").strip().replace(" ", ""))
    if not found or (not found.group(1) and not found.group(2)):
        return None  # absent, multi-range or another unit: the whole file
    first, last = found.groups()
    if not first:  # the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            raise ValueError("empty suffix range")
        return max(0, size - count), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ValueError("range outside the file")
    return start, end


def stored_response(
    request: Request,
    files: FileStore,
    path: str,
    media_type: str | None,
    size: int | None,
    sha256: str | None,
) -> Response:
    """The file ``path`` of ``files`` for ``request`` (GET or HEAD, with or without Range)."""
    if size is None:
        size = _stat(files, path)
    etag = f'"{sha256}"' if sha256 else None
    headers = {"accept-ranges": "bytes"}
    if etag:
        headers["etag"] = etag
    if etag and request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if_range = request.headers.get("if-range")
    try:
        span = wanted_range(request.headers.get("range"), size) if not if_range or if_range == etag else None
    except ValueError:
        return Response(status_code=416, headers={**headers, "content-range": f"bytes */{size}"})
    start, end = span or (0, size - 1)
    headers["content-length"] = str(max(0, end - start + 1))
    status = 206 if span else 200
    if span:
        headers["content-range"] = f"bytes {start}-{end}/{size}"
    if request.method == "HEAD" or size == 0:
        return Response(status_code=status, headers=headers, media_type=media_type)
    return StreamingResponse(
        _stream(files, path, start, end), status_code=status, headers=headers, media_type=media_type
    )


def _stat(files: FileStore, path: str) -> int:
    try:
        stored = files.stat(path)
    except FileStoreError as exc:
        raise HTTPException(503, "The archive's file store does not answer; try again shortly.") from exc
    if stored is None:
        raise HTTPException(404)
    return stored.size


def _stream(files: FileStore, path: str, start: int, end: int):
    """The bytes, opened before the status line goes out: a missing object or a silent store is a 404 or 503
    page, not a broken 200."""
    try:
        chunks = files.chunks(path, start, end)
        first = next(chunks, b"")
    except FileMissing as exc:
        raise HTTPException(404) from exc
    except FileStoreError as exc:
        raise HTTPException(503, "The archive's file store does not answer; try again shortly.") from exc
    return _then(first, chunks)


def _then(first: bytes, rest):
    yield first
    yield from rest
