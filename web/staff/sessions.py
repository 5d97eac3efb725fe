"""Staff pages for one session: see it (any status) with its transcript, edit it, publish, retract, restore."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request

from archive.saving import INGEST_WARNINGS, words_in
from catalog import CatalogError, ChapterInput, NotFound
from web.catalogs import catalog_for
from web.errors import catalog_status
from web.staff.core import (
    StaffRoute,
    StaffUser,
    admin_form_user,
    form_user,
    page,
    page_user,
    see_other,
    staff_for,
)
from web.staff.forms import FormProblem, parse_chapters, parse_credits, parse_topics
from web.staff.transcription import NOTICES as TRANSCRIPTION_NOTICES
from web.staff.transcription import transcription_context
from web.timecode import clock

router = APIRouter(route_class=StaffRoute)

STATUS_LABELS = {"draft": "Draft (not public)", "published": "Published", "retracted": "Retracted (hidden)"}


def session_page(request: Request, me: StaffUser, session_id: int, *, status_code: int = 200, **extra):
    catalog = catalog_for(request)
    session = catalog.get_session(session_id, include_drafts=True)
    if session is None:
        raise NotFound(f"no session {session_id}")
    staff = staff_for(request)
    segments = catalog.segments(session_id)
    context = {
        "me": me,
        "section": "sessions",
        "session": session,
        "status_label": STATUS_LABELS.get(session.status, session.status),
        "segments": segments,
        "stored_words": words_in(segments),
        "ingest_warnings": session.extra.get(INGEST_WARNINGS) or [],
        "chapters": catalog.chapters(session_id),
        "reviewed": staff.edits.is_reviewed(session_id),
        "audit": staff.audit.for_session(session_id, limit=100),
        "field_errors": {},
        "values": {},
        **transcription_context(
            catalog, request.app.state.settings.data_dir, session, request.app.state.settings.files
        ),
        **extra,
    }
    context.setdefault("chapters_text", _chapters_text(context["chapters"]))
    context.setdefault("speakers_text", "\n".join(_credit_line(s) for s in session.speakers))
    context.setdefault("topics_text", ", ".join(t.name for t in session.topics))
    return page(request, "staff/session.html", context, status_code)


def _credit_line(speaker) -> str:
    return f"{speaker.name} | {speaker.role}" if speaker.role else speaker.name


def _chapters_text(chapters) -> str:
    return "\n".join(f"{clock(c.start)} {c.title}" for c in chapters)


@router.get("/staff/sessions/{session_id}", include_in_schema=False)
def show_session(
    request: Request, session_id: int, me: StaffUser = Depends(page_user), notice: str | None = None
):
    return session_page(request, me, session_id, notice=NOTICES.get(notice or ""))


NOTICES = {
    "saved": "Saved.",
    "published": "Published: the session is now public and searchable.",
    "retracted": "Retracted: the session is hidden from the public site.",
    "restored": "Restored: the session is public again.",
    "created": "Draft created. Check the transcript below, then publish it.",
    "reviewed": "The transcript is marked as reviewed.",
    "unreviewed": "The transcript is no longer marked as reviewed.",
    **TRANSCRIPTION_NOTICES,
}


def _saved(session_id: int, notice: str = "saved"):
    return see_other(f"/staff/sessions/{session_id}?notice={notice}")


@router.post("/staff/sessions/{session_id}/metadata", include_in_schema=False)
def edit_metadata(
    request: Request,
    session_id: int,
    me: StaffUser = Depends(form_user),
    title: str = Form(""),
    date: str = Form(""),
    event: str = Form(""),
    description: str = Form(""),
    video_url: str = Form(""),
    source_url: str = Form(""),
    thumbnail_url: str = Form(""),
    language: str = Form(""),
    tags: str = Form(""),
):
    values = {
        "title": title,
        "date": date,
        "event": event,
        "description": description,
        "video_url": video_url,
        "source_url": source_url,
        "thumbnail_url": thumbnail_url,
        "language": language,
        "tags": tags,
    }
    try:
        staff_for(request).edits.update_metadata(session_id, values, me.name)
    except CatalogError as exc:
        errors = {exc.field: exc.message} if exc.field in values else {"title": str(exc)}
        return session_page(
            request, me, session_id, status_code=catalog_status(exc), field_errors=errors, values=values
        )
    return _saved(session_id)


def _status(exc: Exception) -> int:
    return catalog_status(exc) if isinstance(exc, CatalogError) else 400


@router.post("/staff/sessions/{session_id}/speakers", include_in_schema=False)
def edit_speakers(
    request: Request, session_id: int, me: StaffUser = Depends(form_user), speakers: str = Form("")
):
    try:
        staff_for(request).edits.set_speakers(session_id, parse_credits(speakers), me.name)
    except (CatalogError, FormProblem) as exc:
        errors = {"speakers": str(exc)}
        return session_page(
            request, me, session_id, status_code=_status(exc), field_errors=errors, speakers_text=speakers
        )
    return _saved(session_id)


@router.post("/staff/sessions/{session_id}/topics", include_in_schema=False)
def edit_topics(
    request: Request, session_id: int, me: StaffUser = Depends(form_user), topics: str = Form("")
):
    try:
        staff_for(request).edits.set_topics(session_id, parse_topics(topics), me.name)
    except CatalogError as exc:
        return session_page(
            request,
            me,
            session_id,
            status_code=catalog_status(exc),
            field_errors={"topics": str(exc)},
            topics_text=topics,
        )
    return _saved(session_id)


@router.post("/staff/sessions/{session_id}/chapters", include_in_schema=False)
def edit_chapters(
    request: Request, session_id: int, me: StaffUser = Depends(form_user), chapters: str = Form("")
):
    try:
        parsed = [ChapterInput(start, title) for start, title in parse_chapters(chapters)]
        staff_for(request).edits.set_chapters(session_id, parsed, me.name)
    except (CatalogError, FormProblem) as exc:
        errors = {"chapters": str(exc)}
        return session_page(
            request, me, session_id, status_code=_status(exc), field_errors=errors, chapters_text=chapters
        )
    return _saved(session_id)


@router.post("/staff/sessions/{session_id}/reviewed", include_in_schema=False)
def mark_reviewed(
    request: Request, session_id: int, me: StaffUser = Depends(form_user), reviewed: str = Form("1")
):
    flag = reviewed == "1"
    staff_for(request).edits.set_reviewed(session_id, flag, me.name)
    return _saved(session_id, "reviewed" if flag else "unreviewed")


@router.post("/staff/sessions/{session_id}/publish", include_in_schema=False)
def publish(request: Request, session_id: int, me: StaffUser = Depends(form_user)):
    staff_for(request).edits.publish(session_id, me.name)
    return _saved(session_id, "published")


@router.post("/staff/sessions/{session_id}/retract", include_in_schema=False)
def retract(request: Request, session_id: int, me: StaffUser = Depends(form_user)):
    staff_for(request).edits.retract(session_id, me.name)
    return _saved(session_id, "retracted")


@router.post("/staff/sessions/{session_id}/restore", include_in_schema=False)
def restore(request: Request, session_id: int, me: StaffUser = Depends(admin_form_user)):
    staff_for(request).edits.restore(session_id, me.name)
    return _saved(session_id, "restored")
