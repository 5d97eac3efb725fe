"""Webinar extras staff attach to a session, timed to its video: a Zoom chat export and a list of links.

The chat file is read by ``transcripts.parse_chat_bytes`` (a malformed file is refused with its line named, and
the session keeps what it had); ``offset`` moves the chat's clock onto the video's (e.g. ``-2:00`` when the chat
started two minutes before the recording).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from catalog import CatalogError, SessionLink, SlideDeck
from transcripts import TranscriptError, parse_chat_bytes
from web.body_limit import CHAT_FILE_LIMIT
from web.catalogs import catalog_for
from web.errors import catalog_status
from web.staff.core import StaffRoute, StaffUser, form_user, page, page_user, see_other, staff_for
from web.timecode import clock, parse_time

router = APIRouter(route_class=StaffRoute)

MAX_CHAT_BYTES = CHAT_FILE_LIMIT
NOTICES = {
    "chat": "Chat attached.",
    "chat-private": "Chat attached; messages sent privately were left out.",
    "chat-removed": "Chat removed.",
    "links": "Links saved.",
    "slides": "Slides saved.",
}
_LINK_LINE = re.compile(r"^(?:(?P<time>[0-9][0-9:.hms]*)\s+)?(?P<title>.+?)\s*\|\s*(?P<url>\S+)$")


def extras_page(request: Request, me: StaffUser, session_id: int, status_code: int = 200, **extra):
    catalog = catalog_for(request)
    session = catalog.get_session(session_id, include_drafts=True)
    if session is None:
        raise CatalogError(f"no session with id {session_id}")
    links = catalog.links(session_id)
    context = {
        "me": me,
        "section": "sessions",
        "session": session,
        "chat": catalog.chat(session_id),
        "links_text": extra.pop("links_text", None) or links_text(links),
        "max_chat_mb": MAX_CHAT_BYTES // 1024**2,
        "slides": extra.pop("slides", None) or slides_form(catalog.slides(session_id)),
        **extra,
    }
    return page(request, "staff/extras.html", context, status_code)


def links_text(links) -> str:
    return "\n".join(
        (f"{clock(link.start)} " if link.start is not None else "") + f"{link.title} | {link.url}"
        for link in links
    )


def slides_form(deck) -> dict:
    if deck is None:
        return {"pdf_url": "", "pages": ""}
    return {
        "pdf_url": deck.pdf_url,
        "pages": "\n".join(f"{clock(start)} {page}" for page, start in deck.pages),
    }


def parse_slide_times(text: str) -> tuple[tuple[int, float], ...]:
    """One a line: ``time page`` (``5:30 2``: page 2 shown from 5:30); a bad line is named."""
    pages = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        start = parse_time(parts[0]) if len(parts) == 2 else None
        if start is None or not parts[1].isdigit():
            raise CatalogError(f"line {number}: write “time page”, e.g. 5:30 2", field="slides")
        pages.append((int(parts[1]), start))
    return tuple(pages)


def parse_links(text: str) -> list[SessionLink]:
    """One link a line: ``[time] Title | https://...``; a line that is not is a ``CatalogError`` naming it."""
    links = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINK_LINE.match(line.strip())
        if not match:
            raise CatalogError(f"line {number}: write a link as “[time] Title | https://…”", field="links")
        start = None
        if match["time"]:
            start = parse_time(match["time"])
            if start is None:
                raise CatalogError(
                    f"line {number}: {match['time']!r} is not a time like 12:30", field="links"
                )
        links.append(SessionLink(match["title"], match["url"], start))
    return links


def parse_offset(text: str) -> float:
    text = (text or "").strip()
    sign = -1.0 if text.startswith("-") else 1.0
    seconds = parse_time(text.lstrip("+-")) if text else 0.0
    if seconds is None:
        raise CatalogError(f"{text[:40]!r} is not a time like 2:00 or -90", field="offset")
    return sign * seconds


@router.get("/staff/sessions/{session_id}/extras", include_in_schema=False)
def show_extras(
    request: Request, session_id: int, me: StaffUser = Depends(page_user), notice: str | None = None
):
    return extras_page(request, me, session_id, notice=NOTICES.get(notice or ""))


@router.post("/staff/sessions/{session_id}/chat", include_in_schema=False)
async def attach_chat(request: Request, session_id: int, me: StaffUser = Depends(form_user)):
    form = await request.form()
    upload = form.get("chat")
    try:
        offset = parse_offset(str(form.get("offset") or ""))
        data = await _chat_bytes(upload)
        chat = parse_chat_bytes(data, _name(upload), offset)
        await run_in_threadpool(staff_for(request).extras.set_chat, session_id, chat.messages, me.name)
    except (CatalogError, TranscriptError) as exc:
        field = getattr(exc, "field", None) if getattr(exc, "field", None) == "offset" else "chat"
        status = catalog_status(exc) if isinstance(exc, CatalogError) else 400
        return extras_page(request, me, session_id, status, field_errors={field: str(exc)})
    notice = "chat-private" if chat.private_dropped else "chat"
    return see_other(f"/staff/sessions/{session_id}/extras?notice={notice}")


@router.post("/staff/sessions/{session_id}/chat/delete", include_in_schema=False)
def remove_chat(request: Request, session_id: int, me: StaffUser = Depends(form_user)):
    staff_for(request).extras.remove_chat(session_id, me.name)
    return see_other(f"/staff/sessions/{session_id}/extras?notice=chat-removed")


@router.post("/staff/sessions/{session_id}/links", include_in_schema=False)
def save_links(request: Request, session_id: int, me: StaffUser = Depends(form_user), links: str = Form("")):
    try:
        staff_for(request).extras.set_links(session_id, parse_links(links), me.name)
    except CatalogError as exc:
        status = catalog_status(exc)
        return extras_page(
            request, me, session_id, status, field_errors={"links": str(exc)}, links_text=links
        )
    return see_other(f"/staff/sessions/{session_id}/extras?notice=links")


@router.post("/staff/sessions/{session_id}/slides", include_in_schema=False)
def save_slides(
    request: Request,
    session_id: int,
    me: StaffUser = Depends(form_user),
    pdf_url: str = Form(""),
    pages: str = Form(""),
):
    try:
        times = parse_slide_times(pages)
        deck = SlideDeck(pdf_url, times) if times or pdf_url.strip() else None
        if deck is not None and not times:
            raise CatalogError("give the time each page was shown, e.g. 0:00 1", field="slides")
        staff_for(request).extras.set_slides(session_id, deck, me.name)
    except CatalogError as exc:
        values = {"pdf_url": pdf_url, "pages": pages}
        errors = {"pdf_url" if exc.field == "pdf_url" else "pages": str(exc)}
        return extras_page(request, me, session_id, catalog_status(exc), field_errors=errors, slides=values)
    return see_other(f"/staff/sessions/{session_id}/extras?notice=slides")


async def _chat_bytes(upload) -> bytes:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise CatalogError("choose a Zoom chat export (.txt) to attach", field="chat")
    data = await upload.read(MAX_CHAT_BYTES + 1)
    if len(data) > MAX_CHAT_BYTES:
        raise CatalogError(f"the chat file is larger than {MAX_CHAT_BYTES // 1024**2} MB", field="chat")
    return data


def _name(upload: UploadFile) -> str:
    return re.sub(r"[^\w.\- ]+", "_", (upload.filename or "chat.txt").replace("\\", "/").rsplit("/", 1)[-1])[
        :100
    ]
