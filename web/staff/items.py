"""Paste a URL: the node queues it (``archive.jobs.queue_url_ingest``) and a worker fetches it; the progress page
``/staff/items/ID`` shows its state; a failed item can be retried (``archive.jobs.queue_retry``, also a job)."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from archive import ArchiveError, IngestOptions
from archive.jobs import queue_retry, queue_url_ingest
from catalog import CatalogError, NotFound
from web.background import nudge
from web.catalogs import catalog_for
from web.staff.add import new_page
from web.staff.core import StaffRoute, StaffUser, form_user, page, page_user, see_other, staff_for

router = APIRouter(route_class=StaffRoute)


# -- paste a URL -------------------------------------------------------------------------------------------
def url_options(settings, media: bool = False) -> IngestOptions:
    return IngestOptions(
        draft=True,
        media=media,
        allow_private=settings.allow_private_urls,
        downloader=settings.ytdlp_factory,
        files=settings.files,
    )


@router.post("/staff/sessions/new/url", include_in_schema=False)
async def add_from_url(request: Request, me: StaffUser = Depends(form_user)):
    form = await request.form()
    url = str(form.get("url") or "").strip()
    settings = request.app.state.settings
    options = url_options(settings, media=form.get("media") == "1")
    try:
        item_id = await run_in_threadpool(start_ingest, request, url, options, me.name)
    except (ArchiveError, CatalogError) as exc:
        return new_page(request, me, 400, field_errors={"url": str(exc)}, url=url)
    return see_other(f"/staff/items/{item_id}")


def start_ingest(request: Request, url: str, options: IngestOptions, by: str) -> int:
    """Check and queue ``url`` for a worker to fetch; returns the item id (ArchiveError if refused)."""
    options = replace(options, by=by)  # each session the fetch saves names who asked in the audit log
    item_id = queue_url_ingest(catalog_for(request), url, options).id
    nudge(request)
    staff_for(request).audit.note(by, None, "ingest.url", url=url, item=item_id)
    return item_id


@router.get("/staff/items/{item_id}", include_in_schema=False)
def show_item(request: Request, item_id: int, me: StaffUser = Depends(page_user)):
    """The progress of one URL ingest (the page refreshes itself while it runs)."""
    catalog = catalog_for(request)
    item = catalog.queue.get(item_id)
    if item is None:
        raise NotFound(f"no ingest item {item_id}")
    entries = catalog.queue.list(parent_url=item.url, limit=500)
    context = {"me": me, "section": "new", "item": item, "entries": entries}
    context["busy"] = any(i.state in ("pending", "running") for i in [item, *entries])
    return page(request, "staff/item.html", context)


@router.post("/staff/items/{item_id}/retry", include_in_schema=False)
def retry_item(request: Request, item_id: int, me: StaffUser = Depends(form_user)):
    retry_failed_item(request, item_id, me.name)
    return see_other(f"/staff/items/{item_id}")


def retry_failed_item(request: Request, item_id: int, by: str) -> None:
    """Queue a failed item to run again, through the archive's own retry (which refuses others)."""
    settings = request.app.state.settings
    item = queue_retry(catalog_for(request), item_id, replace(url_options(settings), by=by))
    nudge(request)
    staff_for(request).audit.note(by, item.session_id, "ingest.retry", url=item.url, item=item_id)
