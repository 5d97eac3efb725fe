"""Correcting one transcript segment (text and speaker); earlier versions stay listed below the form."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request

from catalog import CatalogError, Conflict
from web.errors import catalog_status
from web.staff.core import StaffRoute, StaffUser, form_user, page, page_user, see_other, staff_for

router = APIRouter(route_class=StaffRoute)


def segment_page(request: Request, me: StaffUser, segment_id: int, status_code: int = 200, **extra):
    staff = staff_for(request)
    segment = staff.segments.segment(segment_id)
    context = {
        "me": me,
        "section": "sessions",
        "segment": segment,
        "versions": staff.segments.versions(segment_id),
        "field_errors": {},
        "text": segment.text,
        "speaker": segment.speaker or "",
        "expected": segment.text,
        **extra,
    }
    return page(request, "staff/segment.html", context, status_code)


@router.get("/staff/segments/{segment_id}", include_in_schema=False)
def show_segment(request: Request, segment_id: int, me: StaffUser = Depends(page_user)):
    return segment_page(request, me, segment_id)


@router.post("/staff/segments/{segment_id}", include_in_schema=False)
def correct_segment(
    request: Request,
    segment_id: int,
    me: StaffUser = Depends(form_user),
    text: str = Form(""),
    speaker: str = Form(""),
    expected: str = Form(""),
):
    staff = staff_for(request)
    try:
        staff.segments.correct(segment_id, text, me.name, speaker=speaker, expected_text=expected or None)
    except Conflict as exc:
        return segment_page(request, me, segment_id, 409, error=str(exc))
    except CatalogError as exc:
        values = {"text": text, "speaker": speaker, "expected": expected}
        return segment_page(
            request, me, segment_id, catalog_status(exc), field_errors={"text": str(exc)}, **values
        )
    session_id = staff.segments.segment(segment_id).session_id
    return see_other(f"/staff/sessions/{session_id}?notice=saved#segment-{segment_id}")
