"""Adding a session from the browser: paste a URL (ingested in the background), or upload a caption file.

Both go through the archive's ingest pipeline and start as drafts; the session's staff page is the preview,
with the parsed transcript and a Publish button. An upload's type is decided by its content, not its name.
"""

from __future__ import annotations

import re
import threading

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile

from archive import ArchiveError
from archive.checks import check_public_url
from archive.options import IngestOptions
from archive.pipeline import ingest, ingest_caption_bytes
from catalog import Catalog, CatalogError
from catalog.staff import Staff
from transcripts import TranscriptError
from web.catalogs import catalog_for
from web.staff.core import StaffRoute, StaffUser, form_user, page, page_user, see_other, staff_for
from web.staff.forms import parse_names, parse_topics

router = APIRouter(route_class=StaffRoute)

_SRT_START = re.compile(r"^\s*(\d+\s*\r?\n)?\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_UPLOAD_FIELDS = ("title", "date", "event", "description", "video_url", "speakers", "topics", "language")


def caption_kind(data: bytes) -> str | None:
    """``vtt`` or ``srt`` judged from the bytes (any BOM, UTF-8 or UTF-16), else ``None``."""
    head, encoding = data[:4096], "utf-8"
    for bom, name in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"\xef\xbb\xbf", "utf-8")):
        if head.startswith(bom):
            head, encoding = head[len(bom) :], name
            break
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if text.startswith("WEBVTT"):
        return "vtt"
    if _SRT_START.match(text):
        return "srt"
    return None


def upload_name(given: str | None, kind: str) -> str:
    """The uploaded name's stem (for messages and the language suffix) with the extension its content shows."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,8}$", "", (given or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = re.sub(r"[^\w.\-]+", "-", stem).strip(".-")[:100] or "upload"
    return f"{stem}.{kind}"


def new_page(request: Request, me: StaffUser, status_code: int = 200, **extra):
    settings = request.app.state.settings
    context = {
        "me": me,
        "section": "new",
        "field_errors": {},
        "values": {},
        "max_caption_mb": settings.max_caption_bytes // 1024**2,
        **extra,
    }
    return page(request, "staff/new.html", context, status_code)


@router.get("/staff/sessions/new", include_in_schema=False)
def new_session(request: Request, me: StaffUser = Depends(page_user)):
    return new_page(request, me)


# -- paste a URL -------------------------------------------------------------------------------------------
@router.post("/staff/sessions/new/url", include_in_schema=False)
async def add_from_url(request: Request, me: StaffUser = Depends(form_user)):
    form = await request.form()
    url = str(form.get("url") or "").strip()
    settings = request.app.state.settings
    try:
        check_public_url(url, allow_private=settings.allow_private_urls)
    except ArchiveError as exc:
        return new_page(request, me, 400, field_errors={"url": str(exc)}, url=url)
    options = IngestOptions(
        draft=True, media=form.get("media") == "1", allow_private=settings.allow_private_urls
    )
    start_url_ingest(settings, url, options, me.name)
    return see_other("/staff?notice=ingest")


def start_url_ingest(settings, url: str, options: IngestOptions, by: str) -> threading.Thread:
    """Run the archive's ingest of ``url`` on its own thread and catalog connection; progress lands in ``items``."""

    def work() -> None:
        catalog = Catalog.open(settings.catalog_path)
        try:
            staff = Staff(catalog.db)
            staff.audit.note(by, None, "ingest.url", url=url)
            result = ingest(catalog, settings.data_dir, [url], options)
            for stored in result.sessions:
                staff.audit.note(by, stored.session_id, "session.ingest", url=url, created=stored.created)
        except (ArchiveError, CatalogError, TranscriptError) as exc:
            Staff(catalog.db).audit.note(by, None, "ingest.failed", url=url, error=str(exc))
        finally:
            catalog.close()

    thread = threading.Thread(target=work, name=f"staff-ingest {url[:60]}", daemon=True)
    thread.start()
    return thread


# -- upload a caption file ---------------------------------------------------------------------------------
@router.post("/staff/sessions/new/upload", include_in_schema=False)
async def add_from_upload(request: Request, me: StaffUser = Depends(form_user)):
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in _UPLOAD_FIELDS}
    upload = form.get("captions")
    problem = await _upload_problem(request, values, upload)
    if problem:
        return new_page(request, me, 400, field_errors=problem, values=values)
    data = await upload.read()
    kind = caption_kind(data)
    from starlette.concurrency import run_in_threadpool

    try:
        session_id = await run_in_threadpool(
            _store_upload, request, me, values, data, upload_name(upload.filename, kind)
        )
    except (ArchiveError, CatalogError, TranscriptError) as exc:
        return new_page(request, me, 400, field_errors={"captions": str(exc)}, values=values)
    return see_other(f"/staff/sessions/{session_id}?notice=created")


async def _upload_problem(request: Request, values: dict, upload) -> dict:
    settings = request.app.state.settings
    if not values["title"].strip():
        return {"title": "A session needs a title."}
    if not isinstance(upload, UploadFile) or not upload.filename:
        return {"captions": "Choose a caption file (WebVTT or SRT)."}
    if upload.size is not None and upload.size > settings.max_caption_bytes:
        return {"captions": f"The caption file is larger than {settings.max_caption_bytes // 1024**2} MB."}
    head = await upload.read(4096)
    await upload.seek(0)
    if caption_kind(head) is None:
        return {"captions": "This file is not a caption file: it must be WebVTT or SRT, whatever its name."}
    return {}


def _store_upload(request: Request, me: StaffUser, values: dict, data: bytes, name: str) -> int:
    settings = request.app.state.settings
    options = IngestOptions(
        title=values["title"],
        date=values["date"] or None,
        event=values["event"] or None,
        description=values["description"] or None,
        video_url=values["video_url"] or None,
        speakers=tuple(parse_names(values["speakers"])),
        topics=tuple(parse_topics(values["topics"])),
        languages=(values["language"].strip(),) if values["language"].strip() else (),
        draft=True,
        allow_private=settings.allow_private_urls,
    )
    catalog = catalog_for(request)
    stored = ingest_caption_bytes(
        catalog, settings.data_dir, data, name, options, max_bytes=settings.max_caption_bytes
    )
    staff_for(request).audit.note(
        me.name, stored.session_id, "session.upload", file=name, created=stored.created
    )
    return stored.session_id
