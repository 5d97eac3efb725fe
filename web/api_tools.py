"""The JSON API of the searchers' tools: ``/api/trends`` and ``/api/segments/{id}/related``.

Errors are ``{"error": {"code", "message"}}`` with a 4xx status (see ``web.errors``).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.requests import Request

from catalog import MAX_TERMS
from web.api import COMMON_ERRORS
from web.api_models import ErrorBody
from web.catalogs import catalog_for
from web.errors import ApiError
from web.related_view import related_dict, related_view
from web.search_page import MAX_QUERY
from web.templating import site_url
from web.trends_view import trend_dict, trend_request

router = APIRouter(prefix="/api", tags=["archive"], responses=COMMON_ERRORS)


class TrendPointOut(BaseModel):
    period: str
    count: int
    search_url: str


class TrendSeriesOut(BaseModel):
    term: str
    total: int
    message: str | None
    points: list[TrendPointOut]


class TrendPeriodOut(BaseModel):
    label: str
    since: str
    until: str


class TrendOut(BaseModel):
    by: str
    filters: dict[str, str]
    message: str | None
    periods: list[TrendPeriodOut]
    series: list[TrendSeriesOut]


class RelatedOut(BaseModel):
    segment_id: int
    terms: list[str]
    results: list[dict]


@router.get("/trends", response_model=TrendOut, summary="How often terms were said, per year or month")
def trends(
    request: Request,
    q: list[str] = Query(
        [], max_length=MAX_TERMS, description=f"up to {MAX_TERMS} terms, each in the search syntax (repeat q)"
    ),
    by: Literal["year", "month"] = "year",
    event: str | None = Query(None, max_length=200),
    speaker: str | None = Query(None, max_length=200),
    topic: str | None = Query(None, max_length=200),
):
    if any(len(term) > MAX_QUERY for term in q):
        raise ApiError(422, "invalid_parameter", f"q: a term is at most {MAX_QUERY} characters")
    wanted, filters = trend_request(request.query_params, q)
    return trend_dict(catalog_for(request).trend(wanted), filters, site_url(request))


@router.get(
    "/segments/{segment_id}/related",
    response_model=RelatedOut,
    responses={404: {"model": ErrorBody, "description": "no such published segment"}},
    summary="Moments of other sessions about what this one says",
)
def related(request: Request, segment_id: int, limit: int = Query(5, ge=1, le=5)):
    view = related_view(catalog_for(request), segment_id if 0 < segment_id < 2**63 else None, limit)
    if view is None:
        raise ApiError(404, "not_found", f"no published segment with id {segment_id}")
    return related_dict(view, segment_id)
