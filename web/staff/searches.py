"""Saved searches: a staffer saves a search (query and filters) to get new matching sessions by e-mail in the
digest ``uscm-archive digest`` sends, and removes one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request

from catalog import CatalogError
from web.errors import catalog_status
from web.search_page import feed_url
from web.staff.core import StaffRoute, StaffUser, form_user, page, page_user, see_other, staff_for

router = APIRouter(route_class=StaffRoute)

NOTICES = {
    "saved": "Search saved: new sessions that match it come in your next digest.",
    "removed": "Search removed.",
}
FIELDS = ("query", "event", "speaker", "topic", "since", "until", "email")


def searches_page(request: Request, me: StaffUser, status_code: int = 200, **extra):
    saved = staff_for(request).searches.list(me.user.id)
    feeds = {s.id: feed_url(s.query, s.filters, False) for s in saved}
    values = extra.pop("values", None) or {
        "query": request.query_params.get("q", ""),
        **{
            name: request.query_params.get(name, "")
            for name in ("event", "speaker", "topic", "since", "until")
        },
        "email": saved[-1].email if saved else "",
    }
    context = {"me": me, "section": "searches", "saved": saved, "feeds": feeds, "values": values, **extra}
    return page(request, "staff/searches.html", context, status_code)


@router.get("/staff/searches", include_in_schema=False)
def list_searches(request: Request, me: StaffUser = Depends(page_user), notice: str | None = None):
    return searches_page(request, me, notice=NOTICES.get(notice or ""))


@router.post("/staff/searches", include_in_schema=False)
def save_search(
    request: Request,
    me: StaffUser = Depends(form_user),
    query: str = Form(""),
    event: str = Form(""),
    speaker: str = Form(""),
    topic: str = Form(""),
    since: str = Form(""),
    until: str = Form(""),
    email: str = Form(""),
):
    filters = {"event": event, "speaker": speaker, "topic": topic, "since": since, "until": until}
    try:
        staff_for(request).searches.save(me.user.id, query, filters, email)
    except CatalogError as exc:
        values = {"query": query, **filters, "email": email}
        errors = {exc.field if exc.field in FIELDS else "query": str(exc)}
        return searches_page(request, me, catalog_status(exc), field_errors=errors, values=values)
    return see_other("/staff/searches?notice=saved")


@router.post("/staff/searches/{search_id}/delete", include_in_schema=False)
def remove_search(request: Request, search_id: int, me: StaffUser = Depends(form_user)):
    try:
        staff_for(request).searches.remove(search_id, me.user.id)
    except CatalogError as exc:
        return searches_page(request, me, catalog_status(exc), error=str(exc))
    return see_other("/staff/searches?notice=removed")
