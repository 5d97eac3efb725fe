"""Getting sessions in: local caption files, .info.json files, and URLs through yt-dlp; the ingest pipeline.

Public API:

- ``ingest(catalog, data_dir, sources, options, progress) -> IngestResult``: files, .info.json and URLs
- ``ingest_caption_bytes(catalog, data_dir, data, filename, options)``: an uploaded caption file
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

__all__ = [
    "ArchiveError",
    "Failure",
    "FetchError",
    "IngestOptions",
    "IngestResult",
    "IngestedSession",
    "Progress",
    "ProgressEvent",
    "RetryPolicy",
    "check_public_url",
    "ingest",
    "ingest_caption_bytes",
]
