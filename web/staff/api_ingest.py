"""The staff API's way in: fetch a URL in the background and follow its progress, retry a failure.

``POST /api/staff/ingest`` answers 202 with the item to poll at ``GET /api/staff/items/{id}``; new sessions are
drafts, as in the browser, and loopback/private hosts are refused unless the archive allows them.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from archive import ArchiveError
from catalog import NotFound
from web.catalogs import catalog_for
from web.staff.core import API_PREFIX, StaffRefusal, StaffRoute, StaffUser, api_user
from web.staff.items import retry_failed_item, start_ingest, url_options

router = APIRouter(prefix=API_PREFIX, route_class=StaffRoute, tags=["staff"])


class UrlIngest(BaseModel):
    url: str = Field(max_length=2000)
    media: bool = Field(default=False, description="Also keep a copy of the media in the archive.")


def _item_json(item) -> dict:
    keep = ("id", "url", "title", "state", "attempts", "last_error", "session_id", "created_at", "updated_at")
    data = asdict(item)
    return {key: data[key] for key in keep}


# Not in the OpenAPI schema: a schema-driven fuzzer would make it fetch (and resolve) arbitrary hosts.
@router.post("/ingest", status_code=202, include_in_schema=False)
def ingest_url(request: Request, body: UrlIngest, user: StaffUser = Depends(api_user)) -> dict:
    options = url_options(request.app.state.settings, media=body.media)
    try:
        item_id = start_ingest(request, body.url.strip(), options, user.name)
    except ArchiveError as exc:
        raise StaffRefusal(400, str(exc), "bad_request") from exc
    return {"item_id": item_id, "progress": f"{API_PREFIX}/items/{item_id}"}


@router.get("/items/{item_id}")
def item_progress(request: Request, item_id: int, user: StaffUser = Depends(api_user)) -> dict:
    catalog = catalog_for(request)
    item = catalog.queue.get(item_id)
    if item is None:
        raise NotFound(f"no ingest item {item_id}")
    entries = catalog.queue.list(parent_url=item.url, limit=500)
    return {**_item_json(item), "entries": [_item_json(entry) for entry in entries]}


@router.post("/items/{item_id}/retry", status_code=202)
def retry_item(request: Request, item_id: int, user: StaffUser = Depends(api_user)) -> dict:
    retry_failed_item(request, item_id, user.name)
    return {"item_id": item_id, "progress": f"{API_PREFIX}/items/{item_id}"}
