"""Adding a session from the browser: paste a URL (ingested in the background), or upload a caption file.

Both go through the archive's ingest pipeline and start as drafts; the session's staff page is the preview,
with the parsed transcript and a Publish button. An upload's type is decided by its content, not its name.
"""

from __future__ import annotations

import re
import threading

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from archive import ArchiveError, IngestOptions, ingest_caption_bytes, retry, start_url_ingest
from archive.files import file_source_key
from catalog import Catalog, CatalogError, Conflict, NotFound, items
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
def url_options(settings, media: bool = False) -> IngestOptions:
    return IngestOptions(draft=True, media=media, allow_private=settings.allow_private_urls)


@router.post("/staff/sessions/new/url", include_in_schema=False)
async def add_from_url(request: Request, me: StaffUser = Depends(form_user)):
    form = await request.form()
    url = str(form.get("url") or "").strip()
    settings = request.app.state.settings
    options = url_options(settings, media=form.get("media") == "1")
    try:
        item_id = await run_in_threadpool(_start, request, url, options, me)
    except (ArchiveError, CatalogError) as exc:
        return new_page(request, me, 400, field_errors={"url": str(exc)}, url=url)
    return see_other(f"/staff/items/{item_id}")


def _start(request: Request, url: str, options: IngestOptions, me: StaffUser) -> int:
    settings = request.app.state.settings
    item_id, _ = start_url_ingest(settings.catalog_path, settings.data_dir, url, options)
    staff_for(request).audit.note(me.name, None, "ingest.url", url=url, item=item_id)
    return item_id


@router.get("/staff/items/{item_id}", include_in_schema=False)
def show_item(request: Request, item_id: int, me: StaffUser = Depends(page_user)):
    """The progress of one URL ingest (the page refreshes itself while it runs)."""
    catalog = catalog_for(request)
    item = items.get_item(catalog, item_id)
    if item is None:
        raise NotFound(f"no ingest item {item_id}")
    entries = items.list_items(catalog, parent_url=item.url, limit=500)
    context = {"me": me, "section": "new", "item": item, "entries": entries}
    context["busy"] = any(i.state in ("pending", "running") for i in [item, *entries])
    return page(request, "staff/item.html", context)


@router.post("/staff/items/{item_id}/retry", include_in_schema=False)
def retry_item(request: Request, item_id: int, me: StaffUser = Depends(form_user)):
    """Run a failed item again in the background, through the archive's own retry."""
    catalog = catalog_for(request)
    item = items.get_item(catalog, item_id)
    if item is None:
        raise NotFound(f"no ingest item {item_id}")
    if item.state != "failed":
        raise Conflict(f"item {item_id} is {item.state}: only a failed item can be retried")
    items.mark_pending(catalog, [item_id])
    staff_for(request).audit.note(me.name, item.session_id, "ingest.retry", url=item.url, item=item_id)
    settings = request.app.state.settings
    start_retry(settings, item_id, url_options(settings))
    return see_other(f"/staff/items/{item_id}")


def start_retry(settings, item_id: int, options: IngestOptions) -> threading.Thread:
    def work() -> None:
        catalog = Catalog.open(settings.catalog_path)
        try:
            retry(catalog, settings.data_dir, [item_id], options)
        except Exception as exc:  # noqa: BLE001 - a thread has no caller: record the failure on the item
            items.mark_failed(catalog, item_id, f"{type(exc).__name__}: {exc}")
        finally:
            catalog.close()

    thread = threading.Thread(target=work, name=f"staff-retry-{item_id}", daemon=True)
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
    try:
        session_id = await run_in_threadpool(
            _store_upload, request, me, values, data, upload_name(upload.filename, kind)
        )
    except (ArchiveError, CatalogError, TranscriptError) as exc:
        status = 409 if isinstance(exc, Conflict) else 400
        return new_page(request, me, status, field_errors={"captions": str(exc)}, values=values)
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
    existing = catalog.find_session_id(file_source_key(data))
    if existing is not None:
        raise Conflict(
            f"this caption file is already in the archive as session {existing}: "
            f"edit that session (/staff/sessions/{existing}) instead"
        )
    stored = ingest_caption_bytes(
        catalog, settings.data_dir, data, name, options, max_bytes=settings.max_caption_bytes
    )
    staff_for(request).audit.note(
        me.name, stored.session_id, "session.upload", file=name, created=stored.created
    )
    return stored.session_id
