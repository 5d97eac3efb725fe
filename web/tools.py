"""Tools for searchers: term trends (``/trends``, ``/trends.csv``), a search as CSV (``/search.csv``) and the
moments said elsewhere about one moment (``/segments/{id}/related``). Each route parses, calls the catalog, renders.
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from catalog import MAX_TERMS, PERIODS, Catalog, CatalogError, SearchRequest, Trend, TrendRequest
from web.bulk import search_csv
from web.catalogs import catalog_for
from web.related_view import related_view
from web.search_page import MAX_QUERY, read_filters
from web.templating import render, site_url
from web.trends_view import chart, search_link, trend_csv, trend_request

router = APIRouter(include_in_schema=False)


def _terms(request: Request) -> list[str]:
    return request.query_params.getlist("q")


def _csv_response(body: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/trends")
def trends_page(request: Request):
    catalog = catalog_for(request)
    raw_terms = _terms(request)
    wanted, filters = trend_request(request.query_params, raw_terms)
    notes, trend = [], None
    if len([t for t in raw_terms if t.strip()]) > MAX_TERMS:
        notes.append(f"A trend compares at most {MAX_TERMS} terms: the first {MAX_TERMS} are shown.")
        wanted = TrendRequest(wanted.terms[:MAX_TERMS], wanted.by, **filters)
    if wanted.by not in PERIODS:
        notes.append(f"“{wanted.by[:20]}” is not a period (year or month), so counts are per year.")
        wanted = TrendRequest(wanted.terms, "year", **filters)
    if wanted.terms:
        trend = catalog.trend(wanted)
    context = trends_context(catalog, wanted, filters, trend, notes)
    return render(request, "trends.html", {"nav": "search", **context})


def trends_context(
    catalog: Catalog, wanted: TrendRequest, filters: dict, trend: Trend | None, notes: list[str]
) -> dict:
    inputs = list(wanted.terms) + [""] * (MAX_TERMS - len(wanted.terms))
    query = [("q", t) for t in wanted.terms] + [("by", wanted.by)] + list(filters.items())
    return {
        "terms": wanted.terms,
        "inputs": inputs,
        "by": wanted.by,
        "periods": PERIODS,
        "filters": filters,
        "notes": notes,
        "trend": trend,
        "chart": chart(trend, filters) if trend and trend.periods else None,
        "search_link": search_link,
        "query": query,
        "facets": catalog.facets(),
    }


@router.get("/trends.csv")
def trends_csv(request: Request):
    wanted, filters = trend_request(request.query_params, _terms(request))
    trend = catalog_for(request).trend(wanted)  # a bad ``by`` or too many terms: CatalogError, a 400 page
    return _csv_response(trend_csv(trend, filters, site_url(request)), "trend.csv")


@router.get("/search.csv")
def search_as_csv(request: Request):
    params = request.query_params
    filters, notes = read_filters(params)
    if notes:
        raise CatalogError(" ".join(notes))
    wanted = SearchRequest(
        query=(params.get("q") or "")[:MAX_QUERY], exact=params.get("exact") == "1", **filters
    )
    body = search_csv(catalog_for(request), wanted, site_url(request))
    return _csv_response(body, "search.csv")


@router.get("/segments/{segment_id}/related")
def related_page(request: Request, segment_id: str):
    if not re.fullmatch(r"[0-9]{1,18}", segment_id):
        raise HTTPException(404)
    catalog = catalog_for(request)
    view = related_view(catalog, int(segment_id))
    if view is None:
        raise HTTPException(404)
    return render(request, "related.html", {"nav": "search", "view": view})
