"""Getting sessions in: local caption files, .info.json files, and URLs through yt-dlp; the ingest pipeline.

Public API:

- ``ingest(catalog, data_dir, sources, options, progress) -> IngestResult``: files, .info.json and URLs
- ``ingest_caption_bytes(catalog, data_dir, data, filename, options)``: an uploaded caption file
- ``sync(catalog, data_dir, url, options)``, ``retry(catalog, data_dir, item_ids, options)``, ``status(catalog)``
- ``start_url_ingest(catalog_path, data_dir, url, options) -> (item_id, thread)``: "paste a URL" in the background
- ``start_retry(catalog_path, data_dir, item_id, options) -> (item, thread)``: a failed item again, in the background
- ``import_catalog(catalog, data_dir, jsonl_path, skip_bad=False, dry_run=False) -> ImportReport``
- ``check_public_url(url, allow_private=False)``: refuse loopback/private/link-local hosts
"""

from archive.background import start_retry, start_url_ingest
from archive.catalog_import import ImportReport, import_catalog
from archive.checks import check_public_url
from archive.errors import ArchiveError, FetchError
from archive.options import (
    Failure,
    IngestedSession,
    IngestOptions,
    IngestResult,
    Progress,
    ProgressEvent,
    RetryPolicy,
)
from archive.pipeline import ingest, ingest_caption_bytes
from archive.queue import Status, retry, status, sync

__all__ = [
    "ArchiveError",
    "Failure",
    "ImportReport",
    "FetchError",
    "IngestOptions",
    "IngestResult",
    "IngestedSession",
    "Progress",
    "ProgressEvent",
    "RetryPolicy",
    "Status",
    "check_public_url",
    "ingest",
    "import_catalog",
    "ingest_caption_bytes",
    "retry",
    "start_retry",
    "start_url_ingest",
    "status",
    "sync",
]
