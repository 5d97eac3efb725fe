"""The archive as open data on the site: ``/data`` says what the public export holds and offers it for download.

The export (``Catalog.ops.export_public``) lives in the data folder's ``public/`` (``DataFolder.public``) and is
made again, lazily, when a page or download asks for it and the catalog's data version (``Catalog.data_version``,
the same in every worker process) has moved since it was made. Moment links in it use
``settings.base_url`` (relative links when it is not set).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse

from catalog import export_info, metadata_path, write_metadata
from web.catalogs import catalog_for
from web.templating import render

router = APIRouter(include_in_schema=False)

EXPORT_NAME = "uscm-archive.db"
_making = (
    threading.Lock()
)  # one export at a time in this process; other processes replace the file atomically


def export_file(settings) -> Path:
    return settings.folder.public / EXPORT_NAME


def current_export(request: Request) -> tuple[Path, dict[str, str]]:
    """The export file with its info, made anew first if the catalog changed since (or it never was)."""
    # The catalog opens (and is made, in an empty data folder) before it is read.
    catalog = catalog_for(request)
    settings = request.app.state.settings
    target = export_file(settings)
    with _making:
        info = export_info(target)
        wanted = catalog.data_version().token
        if info is None or info.get("source") != wanted or info.get("base_url") != settings.base_url:
            target.parent.mkdir(exist_ok=True)
            catalog.ops.export_public(target, base_url=settings.base_url)
            write_metadata(target, settings.site_name, settings.base_url)
            info = export_info(target) or {}
    return target, info


def readable_size(size: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)


@router.get("/data")
def open_data_page(request: Request):
    path, info = current_export(request)
    made = datetime.fromisoformat(info["exported_at"].replace("Z", "+00:00")).astimezone(UTC)
    context = {
        "nav": "data",
        "file_name": path.name,
        "metadata_name": metadata_path(path).name,
        "size": readable_size(path.stat().st_size),
        "exported_at": made.strftime("%Y-%m-%d %H:%M UTC"),
        "exported_iso": info["exported_at"],
    }
    return render(request, "data.html", context)


@router.api_route(f"/data/{EXPORT_NAME}", methods=["GET", "HEAD"])  # a HEAD sends no file
def open_data_file(request: Request):
    path, _ = current_export(request)
    return FileResponse(path, media_type="application/vnd.sqlite3", filename=path.name)


@router.api_route(f"/data/{Path(EXPORT_NAME).stem}.metadata.json", methods=["GET", "HEAD"])
def open_data_metadata(request: Request):
    path, _ = current_export(request)
    return FileResponse(metadata_path(path), media_type="application/json")
