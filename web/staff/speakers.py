"""Speakers across the archive: create, rename, and merge duplicates (e.g. "Mayor Holt" into "David Holt")."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request

from catalog import CatalogError
from web.errors import catalog_status
from web.staff.core import StaffRoute, StaffUser, form_user, page, page_user, see_other, staff_for

router = APIRouter(route_class=StaffRoute)

NOTICES = {"created": "Speaker added.", "renamed": "Speaker renamed.", "merged": "Speakers merged."}


def speakers_page(request: Request, me: StaffUser, status_code: int = 200, **extra):
    context = {
        "me": me,
        "section": "speakers",
        "speakers": staff_for(request).speakers.list(),
        "field_errors": {},
        **extra,
    }
    return page(request, "staff/speakers.html", context, status_code)


@router.get("/staff/speakers", include_in_schema=False)
def list_speakers(request: Request, me: StaffUser = Depends(page_user), notice: str | None = None):
    return speakers_page(request, me, notice=NOTICES.get(notice or ""))


@router.post("/staff/speakers", include_in_schema=False)
def create_speaker(request: Request, me: StaffUser = Depends(form_user), name: str = Form("")):
    try:
        staff_for(request).speakers.create(name, me.name)
    except CatalogError as exc:
        return speakers_page(request, me, catalog_status(exc), field_errors={"name": str(exc)}, new_name=name)
    return see_other("/staff/speakers?notice=created")


@router.post("/staff/speakers/{speaker_id}/rename", include_in_schema=False)
def rename_speaker(
    request: Request, speaker_id: int, me: StaffUser = Depends(form_user), name: str = Form("")
):
    try:
        staff_for(request).speakers.rename(speaker_id, name, me.name)
    except CatalogError as exc:
        return speakers_page(request, me, catalog_status(exc), error=str(exc))
    return see_other("/staff/speakers?notice=renamed")


@router.post("/staff/speakers/merge", include_in_schema=False)
def merge_speakers(
    request: Request, me: StaffUser = Depends(form_user), source: int = Form(0), target: int = Form(0)
):
    try:
        staff_for(request).speakers.merge(source, target, me.name)
    except CatalogError as exc:
        return speakers_page(request, me, catalog_status(exc), field_errors={"source": str(exc)})
    return see_other("/staff/speakers?notice=merged")
