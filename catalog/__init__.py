"""The catalog: the SQLite file, its schema, FTS5 indexes, search. Every SQL statement of the project lives here.

``Catalog`` is the one entry: its methods store, read and search sessions; its parts share its connection
(``catalog.staff``, ``catalog.queue``, ``catalog.ops``). Outside code imports only the names below
(``tests/test_layering.py`` keeps ``__all__`` equal to what it uses).
"""

from catalog.errors import CatalogClosed, CatalogError, Conflict, NotFound, SearchUnavailable
from catalog.facade import Catalog
from catalog.folder import FILE_AREAS, DataFolder
from catalog.models import (
    MATCH_CLOSE,
    MATCH_OPEN,
    SESSION_ID,
    STATUSES,
    Hit,
    MediaInput,
    SearchRequest,
    SearchResults,
    Session,
    SessionMeta,
    SpeakerCredit,
    StoredChapter,
    StoredSegment,
    TrackInfo,
    TrackInput,
)
from catalog.store.values import parse_date

# Names of the writing, staff and operations parts, imported on first use (PEP 562): a command that only reads
# (search, sessions, export) never loads them; and trends', which a command that only writes never needs.
_LAZY = {
    "FileMissing": "catalog.files",
    "FileStore": "catalog.files",
    "FileStoreError": "catalog.files",
    "LocalFiles": "catalog.files",
    "StoredFile": "catalog.files",
    "TooLarge": "catalog.files",
    "check_relpath": "catalog.files",
    "ExpectedFile": "catalog.ops",
    "ops_for": "catalog.ops",
    "copy_catalog": "catalog.ops.copy",
    "export_info": "catalog.ops.public_export",
    "metadata_path": "catalog.ops.public_export",
    "write_metadata": "catalog.ops.public_export",
    "CaptionState": "catalog.queue",
    "Item": "catalog.queue",
    "Job": "catalog.queue",
    "KEEP": "catalog.staff",
    "ChapterInput": "catalog.staff",
    "Offer": "catalog.staff",
    "Staff": "catalog.staff",
    "User": "catalog.staff",
    "AsrLine": "catalog.store.asr",
    "check_items": "catalog.store.field_limits",
    "check_length": "catalog.store.field_limits",
    "SessionLink": "catalog.store.extras",
    "SlideDeck": "catalog.store.extras",
    "close_pools": "catalog.store.pg",
    "Replicas": "catalog.replicas",
    "MAX_TERMS": "catalog.search.trends",
    "PERIODS": "catalog.search.trends",
    "Trend": "catalog.search.trends",
    "TrendPeriod": "catalog.search.trends",
    "TrendRequest": "catalog.search.trends",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'catalog' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "FILE_AREAS",
    "MATCH_CLOSE",
    "MATCH_OPEN",
    "MAX_TERMS",
    "PERIODS",
    "KEEP",
    "SESSION_ID",
    "STATUSES",
    "AsrLine",
    "CaptionState",
    "Catalog",
    "CatalogClosed",
    "CatalogError",
    "ChapterInput",
    "Conflict",
    "DataFolder",
    "ExpectedFile",
    "FileMissing",
    "FileStore",
    "FileStoreError",
    "Hit",
    "Item",
    "Job",
    "LocalFiles",
    "MediaInput",
    "NotFound",
    "Offer",
    "Replicas",
    "SearchRequest",
    "SearchResults",
    "SearchUnavailable",
    "Session",
    "SessionLink",
    "SessionMeta",
    "SlideDeck",
    "SpeakerCredit",
    "Staff",
    "StoredChapter",
    "StoredFile",
    "StoredSegment",
    "TrackInfo",
    "TooLarge",
    "TrackInput",
    "Trend",
    "TrendPeriod",
    "TrendRequest",
    "User",
    "check_items",
    "check_length",
    "check_relpath",
    "close_pools",
    "copy_catalog",
    "export_info",
    "metadata_path",
    "ops_for",
    "parse_date",
    "write_metadata",
]
