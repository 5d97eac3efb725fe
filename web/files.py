"""Files of a session: archived media and raw caption files (HTTP Range, 206), transcript downloads.

Paths come from the catalog, never from the URL: the URL's file name must equal the stored one, and the stored
path must resolve inside the data folder's ``media/`` (or ``captions/``), so ``..`` and symlinks out are refused.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from catalog import StoredSegment
from transcripts import Mark, Segment, subtitles_srt, subtitles_vtt, to_json, to_txt
from web.catalogs import catalog_for
from web.public import published_session

router = APIRouter(include_in_schema=False)

EXPORTS = {
    "vtt": (subtitles_vtt, "text/vtt; charset=utf-8"),  # short cues: the player's track and subtitles
    "srt": (subtitles_srt, "application/x-subrip; charset=utf-8"),
    "txt": (to_txt, "text/plain; charset=utf-8"),
    "json": (to_json, "application/json"),
}
CAPTION_TYPES = {".vtt": "text/vtt; charset=utf-8", ".srt": "application/x-subrip; charset=utf-8"}


def inside(base: Path, relative: str | None) -> Path | None:
    """``base / relative`` if it is an existing file inside ``base`` (after resolving links), else ``None``."""
    if not relative:
        return None
    root = base.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target


def stored_file(data_dir: Path, area: str, relative: str | None) -> Path | None:
    """A stored path, given relative to the data folder (``media/3/x.mp4``) or to its area (``3/x.mp4``)."""
    if not relative:
        return None
    area_dir = data_dir / area
    first = PurePosixPath(relative).parts[:1]
    if first == (area,):
        return inside(area_dir, str(PurePosixPath(*PurePosixPath(relative).parts[1:])))
    return inside(area_dir, relative)


@router.api_route("/sessions/{session_id}/media/{filename}", methods=["GET", "HEAD"])
def media(request: Request, session_id: str, filename: str):
    session = published_session(catalog_for(request), session_id)
    if not session.media_path or PurePosixPath(session.media_path).name != filename:
        raise HTTPException(404)
    path = stored_file(request.app.state.settings.data_dir, "media", session.media_path)
    if path is None:
        raise HTTPException(404)
    return FileResponse(path, media_type=session.media_type or None)


@router.api_route("/sessions/{session_id}/captions/{filename}", methods=["GET", "HEAD"])
def caption_file(request: Request, session_id: str, filename: str):
    session = published_session(catalog_for(request), session_id)
    for track in session.tracks:
        if track.raw_path and PurePosixPath(track.raw_path).name == filename:
            path = stored_file(request.app.state.settings.data_dir, "captions", track.raw_path)
            if path is not None:
                return FileResponse(path, media_type=CAPTION_TYPES.get(path.suffix.lower(), "text/plain"))
    raise HTTPException(404)


def as_segments(stored: list[StoredSegment]) -> tuple[Segment, ...]:
    return tuple(
        Segment(s.start, s.end, s.text, s.speaker, tuple(Mark(offset, time) for offset, time in s.marks))
        for s in stored
    )


@router.get("/sessions/{session_id}/transcript.{fmt}")
def transcript_download(request: Request, session_id: str, fmt: str):
    if fmt not in EXPORTS:
        raise HTTPException(404)
    catalog = catalog_for(request)
    session = published_session(catalog, session_id)
    export, media_type = EXPORTS[fmt]
    body = export(as_segments(catalog.segments(session.id)))
    headers = {"content-disposition": f'inline; filename="session-{session.id}.{fmt}"'}
    return Response(body, media_type=media_type, headers=headers)
