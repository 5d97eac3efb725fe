"""For machines: an Atom feed of new sessions, a feed of each search's new moments, a video sitemap, robots.txt
and ``/healthz``."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse

from catalog import CatalogError, SearchRequest
from web.catalogs import CatalogUnavailable, catalog_for
from web.jsonld import thumbnail
from web.player import choose_player, plays_video
from web.published import published_hit
from web.search_page import MAX_QUERY, read_filters
from web.session_view import moment_url
from web.templating import render, site_url

router = APIRouter(include_in_schema=False)
log = logging.getLogger("uscm_archive.web")

FEED_SIZE = 30
SITEMAP_PAGE = 1000
SITEMAP_MAX = 50_000


@router.get("/feed.atom")
def atom_feed(request: Request):
    sessions = catalog_for(request).recently_added(limit=FEED_SIZE)
    updated = max((s.published_at or s.created_at for s in sessions), default="1970-01-01T00:00:00Z")
    context = {"sessions": sessions, "updated": updated}
    return render(request, "atom.xml", context, media_type="application/atom+xml")


@router.get("/search.atom")
def search_feed(request: Request):
    """A search's new moments: the newest published sessions that match (same query and filters as /search),
    one entry per session, its matching moments linked to their seconds. Follow it to be told of new ones."""
    params = request.query_params
    query = (params.get("q") or "")[:MAX_QUERY]
    filters, _ = read_filters(params)
    exact = params.get("exact") == "1"
    entries = []
    if query.strip():
        try:
            found = catalog_for(request).new_moments(
                SearchRequest(query=query, exact=exact, **filters), limit=FEED_SIZE
            )
        except CatalogError:
            found = []
        entries = [
            (moments, [(published_hit(h), moment_url(h.session_id, h.start, query)) for h in moments.hits])
            for moments in found
        ]
    updated = max((m.published_at for m, _ in entries), default="1970-01-01T00:00:00Z")
    search_params = urlencode({"q": query, **filters, **({"exact": "1"} if exact else {})})
    context = {"query": query, "entries": entries, "updated": updated, "search_params": search_params}
    return render(request, "search.atom.xml", context, media_type="application/atom+xml")


def all_published(catalog):
    offset = 0
    while offset < SITEMAP_MAX:
        _, page = catalog.list_sessions(limit=SITEMAP_PAGE, offset=offset)
        yield from page
        if len(page) < SITEMAP_PAGE:
            return
        offset += SITEMAP_PAGE


@router.get("/sitemap.xml")
def video_sitemap(request: Request):
    site = site_url(request)
    entries = []
    for session in all_published(catalog_for(request)):
        player = choose_player(session)
        video = plays_video(player)  # a <video:video> only describes a session with a video to play
        entries.append(
            {
                "session": session,
                "video": video,
                "thumbnail": thumbnail(session, site),
                "content": site + player.src if video and player.kind == "video" else None,
                "player": f"{site}/sessions/{session.id}/embed",
            }
        )
    return render(request, "sitemap.xml", {"entries": entries}, media_type="application/xml")


@router.get("/robots.txt")
def robots(request: Request):
    site = site_url(request)
    return PlainTextResponse(f"User-agent: *\nDisallow: /staff\nSitemap: {site}/sitemap.xml\n")


@router.get("/healthz")
def healthz(request: Request):
    try:
        count = catalog_for(request).published_count()
    except (CatalogError, CatalogUnavailable) as exc:
        log.error("health check failed: %s", exc)
        return JSONResponse({"status": "error", "message": "the catalog cannot be read"}, status_code=503)
    answer: dict = {"status": "ok", "sessions": count}
    problem = request.app.state.settings.files.reachable()
    if problem:  # pages and search still work; recordings and raw caption files do not
        log.error("health check: the file store does not answer: %s", problem)
        answer.update(status="degraded", store="the file store does not answer")
    elif request.app.state.settings.media_store:  # an object store: say that it answers
        answer["store"] = "ok"
    replicas = request.app.state.replicas
    if replicas is not None:  # read replicas: each one's state and measured lag (web/replicas.py)
        answer["replicas"] = [
            {
                "url": r.url,
                "state": r.state,
                "in_use": r.in_use,
                "lag_seconds": None if r.lag_seconds is None else round(r.lag_seconds, 3),
                **({"detail": r.detail} if r.detail else {}),
            }
            for r in replicas.status()
        ]
        if not any(r["in_use"] for r in answer["replicas"]):  # every read now falls on the primary
            answer["status"] = "degraded"
    return answer
