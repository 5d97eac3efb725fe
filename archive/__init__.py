"""Getting sessions in: local caption files, .info.json files, and URLs through yt-dlp; the ingest pipeline.

Public API:

- ``ingest(catalog, data_dir, sources, options, progress) -> IngestResult``: files, .info.json and URLs
- ``ingest_caption_bytes(catalog, data_dir, data, filename, options)``: an uploaded caption file
- ``sync(catalog, data_dir, url, options)``, ``retry(catalog, data_dir, item_ids, options)``, ``status(catalog)``
- ``archive.jobs``: work handed to the shared queue (``queue_url_ingest``, ``queue_retry``, ``queue_upload``,
  ``queue_transcription``, ``queue_sync``) and what a worker does with each job; ``archive.worker``: the worker
- ``import_catalog(catalog, data_dir, jsonl_path, skip_bad=False, dry_run=False) -> ImportReport``
- ``check_public_url(url, allow_private=False)``: refuse loopback/private/link-local hosts
"""

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
    "status",
    "sync",
]
