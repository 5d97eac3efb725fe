"""The JSON API under ``/api``: sessions, a session, its transcript, search, speakers, oEmbed.

Errors are ``{"error": {"code", "message"}}`` with a 4xx status (see ``web.errors``).
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from fastapi import APIRouter, Query
from markupsafe import escape
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog import Catalog, SearchRequest, Session
from web.api_models import (
    ErrorBody,
    FacetOut,
    OEmbedOut,
    SearchOut,
    SessionDetail,
    SessionList,
    TranscriptOut,
)
from web.catalogs import catalog_for
from web.errors import ApiError
from web.player import media_url
from web.published import published, search_dict, search_kinds
from web.session_view import DOWNLOAD_FORMATS, moment_url
from web.share import embed_moment, oembed_thumbnail
from web.templating import site_url
from web.worker_start import run_search

ERRORS = {404: {"model": ErrorBody, "description": "no such published session"}}
COMMON_ERRORS = {
    400: {"model": ErrorBody, "description": "the catalog refused the request"},
    422: {"model": ErrorBody, "description": "a parameter is invalid"},
    503: {"model": ErrorBody, "description": "the catalog cannot be read"},
}
router = APIRouter(prefix="/api", tags=["archive"], responses=COMMON_ERRORS)


def session_or_404(catalog: Catalog, session_id: int) -> Session:
    session = catalog.get_session(session_id) if 0 < session_id < 2**63 else None
    if session is None:
        raise ApiError(404, "not_found", f"no published session with id {session_id}")
    return session


def summary(session: Session) -> dict:
    return {
        "id": session.id,
        "title": session.title,
        "date": session.date,
        "event": session.event,
        "duration": session.duration,
        "has_transcript": session.has_transcript,
        "url": f"/sessions/{session.id}",
        "speakers": [
            {"name": s.name, "slug": s.slug, "role": s.role, "url": f"/speakers/{s.slug}"}
            for s in session.speakers
        ],
        "topics": [{"name": t.name, "slug": t.slug} for t in session.topics],
    }


def chapters_out(catalog: Catalog, session_id: int) -> list[dict]:
    return [
        {"start": c.start, "end": c.end, "title": c.title, "url": moment_url(session_id, c.start)}
        for c in catalog.chapters(session_id)
    ]


@router.get("/sessions", response_model=SessionList, summary="Published sessions, newest first")
def list_sessions(
    request: Request,
    event: str | None = Query(None, max_length=200, description="event or series name or slug"),
    topic: str | None = Query(None, max_length=200, description="topic name or slug"),
    speaker: str | None = Query(None, max_length=200, description="speaker name or slug"),
    year: int | None = Query(None, ge=1900, le=2999),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    catalog = catalog_for(request)
    filters = {"event": event, "topic": topic, "speaker": speaker, "year": year}
    total, sessions = catalog.list_sessions(limit=limit, offset=offset, **filters)
    return {"total": total, "limit": limit, "offset": offset, "sessions": [summary(s) for s in sessions]}


@router.get("/sessions/{session_id}", response_model=SessionDetail, responses=ERRORS, summary="One session")
def get_session(request: Request, session_id: int):
    catalog = catalog_for(request)
    session = session_or_404(catalog, session_id)
    downloads = {fmt: f"/sessions/{session.id}/transcript.{fmt}" for fmt, _ in DOWNLOAD_FORMATS}
    return {
        **summary(session),
        "description": session.description,
        "source_url": session.source_url,
        "video_url": session.video_url,
        "thumbnail_url": session.thumbnail_url,
        "language": session.language,
        "media_url": media_url(session),
        "segment_count": session.segment_count,
        "chapters": chapters_out(catalog, session.id),
        "downloads": downloads,
    }


@router.get(
    "/sessions/{session_id}/transcript",
    response_model=TranscriptOut,
    responses=ERRORS,
    summary="Its transcript",
)
def get_transcript(request: Request, session_id: int):
    catalog = catalog_for(request)
    session = session_or_404(catalog, session_id)
    segments = [
        {
            "id": s.id,
            "start": s.start,
            "end": s.end,
            "speaker": s.speaker,
            "text": s.text,
            "url": moment_url(session.id, s.start),
        }
        for s in catalog.segments(session.id)
    ]
    return {"session_id": session.id, "segments": segments, "chapters": chapters_out(catalog, session.id)}


@router.get(
    "/search", response_model=SearchOut, responses=ERRORS, summary="Search every spoken word and webinar chat"
)
async def search(
    request: Request,
    q: str = Query(
        "", max_length=500, description='words, "a phrase", word*, OR, -word; any text is accepted'
    ),
    event: str | None = Query(None, max_length=200),
    speaker: str | None = Query(None, max_length=200),
    topic: str | None = Query(None, max_length=200),
    since: date | None = Query(None, description="YYYY-MM-DD, inclusive"),
    until: date | None = Query(None, description="YYYY-MM-DD, inclusive"),
    session_id: int | None = Query(None, ge=1, le=2**62),
    lang: str | None = Query(
        None,
        max_length=35,
        description="only caption tracks in this language, e.g. es (default: every language)",
    ),
    exact: bool = False,
    correct: bool = Query(True, description="read a misspelt word as the archive's nearest word"),
    kind: str = Query("all", pattern="^(all|speech|chat)$", description="all, speech (transcripts) or chat"),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=100_000),
):
    wanted = SearchRequest(
        query=q,
        limit=limit,
        offset=offset,
        session_id=session_id,
        speaker=speaker,
        topic=topic,
        event=event,
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
        lang=lang.strip() or None if lang else None,
        exact=exact,
        correct=correct,
    )
    fresh = "no-cache" in request.headers.get("cache-control", "").lower()
    cache = request.app.state.search_cache

    # The hot route: identical requests are answered from the per-process cache (dropped on any change to the
    # catalog) unless the client asks for a fresh answer (Cache-Control: no-cache); the answer, already in the
    # published shape, skips re-validation through SearchOut. The search runs on a pool thread, one at a time per
    # process in arrival order (web/worker_start.py, ``SEARCH_THREADS``): on the event loop's own thread every
    # slow search held up the requests queued behind it, pages included (p99 5x worse under load), and 16 at once
    # on the pool cost more CPU each and made a long tail (docs/benchmarks.md, "Serving").
    def answer() -> bytes:
        speech, chat = search_kinds(catalog_for(request), wanted, kind)
        return JSONResponse(search_dict(published(speech) if speech is not None else None, chat, q)).body

    body = await run_search(lambda: cache.get((wanted, kind), answer, fresh=fresh))
    return Response(body, media_type="application/json")


@router.get("/speakers", response_model=list[FacetOut], summary="Speakers with their number of sessions")
def speakers(request: Request):
    facets = catalog_for(request).facets()
    return [{"value": f.value, "slug": f.slug, "count": f.count} for f in facets.get("speakers", [])]


@router.get(
    "/oembed",
    response_model=OEmbedOut,
    response_model_exclude_none=True,
    responses={**ERRORS, 501: {"model": ErrorBody}},
    summary="oEmbed",
)
def oembed(
    request: Request,
    url: str = Query(..., max_length=2000, description="a session page URL of this site"),
    format: str = Query("json"),
    maxwidth: int | None = Query(None, ge=100, le=4000),
    maxheight: int | None = Query(None, ge=60, le=4000),
):
    if format != "json":
        raise ApiError(501, "format_not_supported", "only format=json is available")
    match = re.fullmatch(r"/sessions/([0-9]{1,18})/?", urlsplit(url).path)
    if not match:
        raise ApiError(404, "not_found", "url is not a session page of this archive")
    session = session_or_404(catalog_for(request), int(match.group(1)))
    width = min(maxwidth or 640, 1280)
    height = min(maxheight or width * 9 // 16 + 120, 1000)
    site = site_url(request)
    src = f"{site}/sessions/{session.id}/embed{embed_moment(urlsplit(url).query)}"
    frame = (
        f'<iframe src="{escape(src)}" width="{width}" height="{height}" '
        f'title="{escape(session.title)}" loading="lazy" allowfullscreen></iframe>'
    )
    return {
        "title": session.title,
        "provider_name": request.app.state.settings.site_name,
        "provider_url": site + "/",
        "html": frame,
        "width": width,
        "height": height,
        **oembed_thumbnail(session, site),
    }
