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

# Imported on first use (PEP 562): the URL, queue and bulk-import parts load yt-dlp and the queue, which ingesting
# local files does not need (~0.2 s of a command-line ingest).
_LAZY = {
    "ImportReport": "archive.catalog_import",
    "import_catalog": "archive.catalog_import",
    "Status": "archive.queue",
    "retry": "archive.queue",
    "status": "archive.queue",
    "sync": "archive.queue",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'archive' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
