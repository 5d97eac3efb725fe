"""For machines: an Atom feed of new sessions, a video sitemap, robots.txt and ``/healthz``."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse

from catalog import CatalogError
from web.catalogs import CatalogUnavailable, catalog_for
from web.jsonld import thumbnail
from web.player import choose_player
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
        entries.append(
            {
                "session": session,
                "thumbnail": thumbnail(session, site),
                "content": site + player.src if player.kind == "video" else None,
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
    return {"status": "ok", "sessions": count}
