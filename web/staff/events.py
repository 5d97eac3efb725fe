"""Events across the archive: rename, and merge near-duplicates (e.g. "89th Winter Meeting (virtual), Day 1"
into "89th Winter Meeting (virtual)"). The old name's page then redirects to the new one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request

from catalog import CatalogError
from web.errors import catalog_status
from web.staff.core import StaffRoute, StaffUser, form_user, page, page_user, see_other, staff_for

router = APIRouter(route_class=StaffRoute)

NOTICES = {"renamed": "Event renamed.", "merged": "Events merged."}


def events_page(request: Request, me: StaffUser, status_code: int = 200, **extra):
    context = {
        "me": me,
        "section": "events",
        "events": staff_for(request).events.list(),
        "field_errors": {},
        **extra,
    }
    return page(request, "staff/events.html", context, status_code)


@router.get("/staff/events", include_in_schema=False)
def list_events(request: Request, me: StaffUser = Depends(page_user), notice: str | None = None):
    return events_page(request, me, notice=NOTICES.get(notice or ""))


@router.post("/staff/events/rename", include_in_schema=False)
def rename_event(
    request: Request, me: StaffUser = Depends(form_user), event: str = Form(""), name: str = Form("")
):
    try:
        staff_for(request).events.rename(event, name, me.name)
    except CatalogError as exc:
        return events_page(request, me, catalog_status(exc), error=str(exc))
    return see_other("/staff/events?notice=renamed")


@router.post("/staff/events/merge", include_in_schema=False)
def merge_events(
    request: Request, me: StaffUser = Depends(form_user), source: str = Form(""), target: str = Form("")
):
    try:
        staff_for(request).events.merge(source, target, me.name)
    except CatalogError as exc:
        return events_page(request, me, catalog_status(exc), field_errors={"source": exc.message})
    return see_other("/staff/events?notice=merged")
