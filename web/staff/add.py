"""Adding a session from the browser by uploading a caption file (and, optionally, its recording).

The node checks the upload at once (a file that does not parse, too big, or already in the archive is refused
beside its field), stages the recording and queues the rest for a worker (``archive.jobs.queue_upload``); the
request waits a little for the job, then shows the new draft session's staff page (the preview, with the parsed
transcript and a Publish button) or, when no worker has run it yet, the upload's progress page. Each file's type
is decided by its content, not its name. (Pasting a URL is in ``web.staff.items``.)
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from archive import ArchiveError, IngestOptions
from archive.jobs import queue_upload
from archive.uploads import stage_media_upload
from catalog import CatalogError, Conflict
from transcripts import TranscriptError, sniff_format
from web.background import nudge, upload_wait, wait_for_item
from web.catalogs import catalog_for
from web.staff.core import StaffRoute, StaffUser, form_user, page, page_user, see_other
from web.staff.forms import parse_names, parse_topics
from web.staff.media import MEDIA_TYPES, media_kind, media_name

router = APIRouter(route_class=StaffRoute)

_UPLOAD_FIELDS = ("title", "date", "event", "description", "video_url", "speakers", "topics", "language")


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
        "max_media_mb": settings.max_upload_bytes // 1024**2,
        "media_types": MEDIA_TYPES,
        **extra,
    }
    return page(request, "staff/new.html", context, status_code)


@router.get("/staff/sessions/new", include_in_schema=False)
def new_session(request: Request, me: StaffUser = Depends(page_user)):
    return new_page(request, me)


# -- upload a caption file ---------------------------------------------------------------------------------
@router.post("/staff/sessions/new/upload", include_in_schema=False)
async def add_from_upload(request: Request, me: StaffUser = Depends(form_user)):
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in _UPLOAD_FIELDS}
    upload, media = form.get("captions"), form.get("media")
    media = media if isinstance(media, UploadFile) and media.filename else None
    problem = await _upload_problem(request, values, upload) or await _media_problem(request, media)
    if problem:
        return new_page(request, me, 400, field_errors=problem, values=values)
    data = await upload.read()
    name = upload_name(upload.filename, sniff_format(data))
    try:
        item_id = await run_in_threadpool(_queue_upload, request, me, values, data, name, media)
    except (ArchiveError, CatalogError, TranscriptError) as exc:
        status = 409 if isinstance(exc, Conflict) else 400
        return new_page(request, me, status, field_errors={"captions": str(exc)}, values=values)
    wait = upload_wait(request)
    item = await run_in_threadpool(lambda: wait_for_item(catalog_for(request), item_id, wait))
    if item is not None and item.state == "failed":
        return new_page(
            request, me, 400, field_errors={"captions": item.last_error or "failed"}, values=values
        )
    if item is not None and item.session_id is not None:
        return see_other(f"/staff/sessions/{item.session_id}?notice=created")
    return see_other(f"/staff/items/{item_id}")  # no worker took it yet: its progress page


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
    if sniff_format(head) is None:
        return {"captions": "This file is not a caption file: it must be WebVTT or SRT, whatever its name."}
    return {}


async def _media_problem(request: Request, media: UploadFile | None) -> dict:
    if media is None:
        return {}
    limit = request.app.state.settings.max_upload_bytes
    if media.size is not None and media.size > limit:
        return {"media": f"The media file is larger than {limit // 1024**2} MB."}
    head = await media.read(64)
    await media.seek(0)
    if media_kind(head) is None:
        return {
            "media": f"This file is not audio or video the archive keeps ({MEDIA_TYPES}), whatever its name."
        }
    return {}


def _queue_upload(request: Request, me: StaffUser, values: dict, data: bytes, name: str, media) -> int:
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
        by=me.name,  # the save's audit entry (session.create) names the editor
        files=settings.files,
    )
    staged = _stage_media(settings, media) if media is not None else None
    item = queue_upload(
        catalog_for(request),
        settings.data_dir,
        data,
        name,
        options,
        max_bytes=settings.max_caption_bytes,
        media=staged,
    )
    nudge(request)
    return item.id


def _stage_media(settings, media: UploadFile):
    media.file.seek(0)
    ext, mime = media_kind(media.file.read(64))
    media.file.seek(0)
    name = media_name(media.filename, ext)
    return stage_media_upload(
        settings.data_dir, media.file, name, mime, settings.max_upload_bytes, settings.files
    )
