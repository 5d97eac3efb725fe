"""Public pages: home, browsing, a page per session, speakers. Each route parses, calls the catalog, renders."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from catalog import Catalog, SearchUnavailable, Session
from web.catalogs import catalog_for
from web.citations import citations, cited_moment
from web.jsonld import video_object_json
from web.paging import Page, page_number
from web.related_view import related_view
from web.search_page import search_context
from web.session_view import moment_url, session_context
from web.share import session_share
from web.templating import render, site_url
from web.worker_start import run_search

router = APIRouter(include_in_schema=False)

RECENT = 12
PER_PAGE = 24
BROWSE_FILTERS = ("event", "topic", "speaker", "year")


def published_session(catalog: Catalog, raw_id: str) -> Session:
    """The published session ``raw_id`` names, or a 404 (drafts and retracted sessions are not public)."""
    if not re.fullmatch(r"[0-9]{1,18}", raw_id):
        raise HTTPException(404)
    session = catalog.get_session(int(raw_id))
    if session is None:
        raise HTTPException(404)
    return session


@router.get("/")
def home(request: Request):
    catalog = catalog_for(request)
    _, recent = catalog.list_sessions(limit=RECENT)
    context = {"nav": "home", "recent": recent, "facets": catalog.facets()}
    return render(request, "home.html", context)


@router.get("/sessions")
def sessions(request: Request, page: str | None = None):
    catalog = catalog_for(request)
    filters = {k: (request.query_params.get(k) or "").strip() for k in BROWSE_FILTERS}
    filters = {k: v[:200] for k, v in filters.items() if v}
    moved = catalog.event_redirect(filters["event"]) if "event" in filters else None
    if moved is not None:  # a renamed or merged event: its old page leads to the new one, as speakers' do
        return RedirectResponse(
            f"{request.url.path}?{urlencode({**filters, 'event': moved})}", status_code=301
        )
    notes = []
    year = filters.get("year")
    if year is not None and not re.fullmatch(r"[0-9]{4}", year):
        notes.append(f"“{year}” is not a year, so it was left out.")
        filters.pop("year")
    number = page_number(page)
    kwargs = {**filters, "year": int(filters["year"]) if "year" in filters else None}
    total, rows = catalog.list_sessions(limit=PER_PAGE, offset=(number - 1) * PER_PAGE, **kwargs)
    pager = Page(number, PER_PAGE, total, request.url.path, {**filters})
    context = {"nav": "sessions", "sessions": rows, "total": total, "filters": filters, "notes": notes}
    return render(request, "sessions.html", {**context, "pager": pager, "facets": catalog.facets()})


@router.get("/sessions/{session_id}")
def session_page(
    request: Request,
    session_id: str,
    t: str | None = None,
    end: str | None = None,
    q: str | None = None,
    lang: str | None = None,
):
    catalog = catalog_for(request)
    session = published_session(catalog, session_id)
    players = request.app.state.players
    context = session_context(
        catalog, session, t=t, end=end, q=(q or "")[:500], media_hosts=players.media_hosts, lang=lang
    )
    context["vimeo_origin"] = players.vimeo_origin
    site = site_url(request)
    context["canonical"] = f"{site}/sessions/{session.id}"
    context["moment_link"] = site + moment_url(session.id, int(context["moment"].start))
    context["cite"] = moment_citations(request, session, context["moment"], site)
    segment = context["moment"].segment
    context["related"] = _related_beside(catalog, segment.id) if segment and context["start_given"] else None
    context["jsonld"] = video_object_json(
        session,
        context["chapters"],
        site,
        context["player"],
        transcript=" ".join(line.text for line in context["lines"]),
        publisher=request.app.state.settings.site_name,
    )
    context["share"] = session_share(session, context, site, context["canonical"])
    return render(request, "session.html", context)


def moment_citations(request: Request, session: Session, moment, site: str):
    """The citations of the page's moment, accessed today (UTC)."""
    publisher = request.app.state.settings.site_name
    today = datetime.now(UTC).date()
    return citations(cited_moment(session, moment.segment, moment.start, moment.end, site, publisher, today))


@router.get("/sessions/{session_id}/embed")
def session_embed(request: Request, session_id: str, t: str | None = None, end: str | None = None):
    catalog = catalog_for(request)
    session = published_session(catalog, session_id)
    players = request.app.state.players
    context = session_context(catalog, session, t=t, end=end, q=None, media_hosts=players.media_hosts)
    context["vimeo_origin"] = players.vimeo_origin
    canonical = f"{site_url(request)}/sessions/{session.id}"
    context["share"] = session_share(session, context, site_url(request), canonical)
    request.state.embeddable = True
    return render(request, "embed.html", context)


@router.get("/search")
async def search(request: Request):
    # the page's searches take their turn with /api/search's, one at a time per process (web/worker_start.py)
    def page():
        context = search_context(catalog_for(request), request.query_params)
        description = "Search every word said in the archive's meetings and webinars, and play the moment."
        return render(request, "search.html", {"nav": "search", "description": description, **context})

    return await run_search(page)


@router.get("/speakers")
def speakers(request: Request):
    facets = catalog_for(request).facets()
    return render(request, "speakers.html", {"nav": "speakers", "speakers": facets.get("speakers", [])})


@router.get("/speakers/{slug}")
def speaker_page(request: Request, slug: str, page: str | None = None):
    catalog = catalog_for(request)
    speaker = catalog.speaker(slug[:200])
    if speaker is None:
        raise HTTPException(404)
    if speaker.slug != slug:
        return RedirectResponse(f"/speakers/{speaker.slug}", status_code=301)
    number = page_number(page)
    _, sessions_ = catalog.list_sessions(speaker=speaker.slug, limit=200)
    total, moments = catalog.speaker_moments(
        speaker.id, limit=PER_PAGE * 2, offset=(number - 1) * PER_PAGE * 2
    )
    pager = Page(number, PER_PAGE * 2, total, request.url.path, {})
    context = {"nav": "speakers", "speaker": speaker, "sessions": sessions_, "moments": moments}
    return render(request, "speaker.html", {**context, "pager": pager, "moment_url": moment_url})


def _related_beside(catalog: Catalog, segment_id: int):
    """The moment's "said elsewhere" panel; none where the catalog has no full-text search (the page still
    serves its session)."""
    try:
        return related_view(catalog, segment_id)
    except SearchUnavailable:
        return None
