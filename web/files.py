"""Files of a session: archived media and raw caption files (HTTP Range, 206), transcript downloads.

Paths come from the catalog, never from the URL: the URL's file name must equal the stored one, and the stored
path must resolve inside the data folder's ``media/`` (or ``captions/``), so ``..`` and symlinks out are refused.
With an object store (``--media-store s3://…``) the same URLs proxy ranged reads of the objects (``web/ranges.py``).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from catalog import LocalFiles, StoredSegment
from transcripts import Mark, Segment, export_format, format_of_name
from web.catalogs import catalog_for
from web.public import published_session
from web.ranges import stored_response
from web.session_view import shown_language

router = APIRouter(include_in_schema=False)


def _caption_type(name: str) -> str:
    fmt = format_of_name(name)
    return fmt.media_type if fmt else "text/plain"


def inside(base: Path, relative: str | None) -> Path | None:
    """``base / relative`` if it is an existing file inside ``base`` (after resolving links), else ``None``."""
    if not relative:
        return None
    root = base.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target


def stored_file(area_dir: Path, relative: str | None) -> Path | None:
    """A stored path, given relative to the data folder (``media/3/x.mp4``) or to its area (``3/x.mp4``);
    ``area_dir`` is one of the data folder's areas (``DataFolder.media``, ``DataFolder.captions``)."""
    if not relative:
        return None
    first = PurePosixPath(relative).parts[:1]
    if first == (area_dir.name,):
        return inside(area_dir, str(PurePosixPath(*PurePosixPath(relative).parts[1:])))
    return inside(area_dir, relative)


@router.api_route("/sessions/{session_id}/media/{filename}", methods=["GET", "HEAD"])
def media(request: Request, session_id: str, filename: str):
    session = published_session(catalog_for(request), session_id)
    if not session.media_path or PurePosixPath(session.media_path).name != filename:
        raise HTTPException(404)
    settings = request.app.state.settings
    if not isinstance(settings.files, LocalFiles):
        media_type, size, sha256 = session.media_type or None, session.media_size, session.media_sha256
        return stored_response(request, settings.files, session.media_path, media_type, size, sha256)
    path = stored_file(settings.folder.media, session.media_path)
    if path is None:
        raise HTTPException(404)
    return FileResponse(path, media_type=session.media_type or None)


@router.api_route("/sessions/{session_id}/captions/{filename}", methods=["GET", "HEAD"])
def caption_file(request: Request, session_id: str, filename: str):
    session = published_session(catalog_for(request), session_id)
    settings = request.app.state.settings
    for track in session.tracks:
        if track.raw_path and PurePosixPath(track.raw_path).name == filename:
            if not isinstance(settings.files, LocalFiles):
                media_type = _caption_type(filename)
                return stored_response(request, settings.files, track.raw_path, media_type, None, None)
            path = stored_file(settings.folder.captions, track.raw_path)
            if path is not None:
                return FileResponse(path, media_type=_caption_type(path.name))
    raise HTTPException(404)


def as_segments(stored: list[StoredSegment]) -> tuple[Segment, ...]:
    return tuple(
        Segment(s.start, s.end, s.text, s.speaker, tuple(Mark(offset, time) for offset, time in s.marks))
        for s in stored
    )


@router.get("/sessions/{session_id}/transcript.{fmt}")
def transcript_download(request: Request, session_id: str, fmt: str, lang: str | None = None):
    try:
        export = export_format(fmt)
    except KeyError:
        raise HTTPException(404) from None
    catalog = catalog_for(request)
    session = published_session(catalog, session_id)
    segments = catalog.segments(session.id, shown_language(session, lang))
    if not segments:  # no transcript: nothing to download (not an empty file)
        raise HTTPException(404)
    body = export.write(as_segments(segments))
    media_type = export.media_type
    name = (
        f"session-{session.id}.{lang}" if lang and shown_language(session, lang) else f"session-{session.id}"
    )
    headers = {"content-disposition": f'inline; filename="{name}.{fmt}"'}
    return Response(body, media_type=media_type, headers=headers)
