"""The catalog: the SQLite file, its schema, FTS5 indexes, search. Every SQL statement of the project lives here.

``Catalog`` is the one entry: its methods store, read and search sessions; its parts share its connection
(``catalog.staff``, ``catalog.queue``, ``catalog.ops``). Outside code imports only the names below
(``tests/test_layering.py`` keeps ``__all__`` equal to what it uses).
"""

from catalog.errors import CatalogError, Conflict, NotFound
from catalog.facade import Catalog
from catalog.folder import DataFolder
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
from catalog.ops import ExpectedFile, ops_for
from catalog.ops.public_export import export_info, metadata_path, write_metadata
from catalog.queue import CaptionState, Item
from catalog.staff import KEEP, ChapterInput, Offer, Staff, User
from catalog.store.asr import AsrLine
from catalog.store.extras import SessionLink, SlideDeck
from catalog.store.field_limits import check_items, check_length
from catalog.store.values import parse_date

__all__ = [
    "MATCH_CLOSE",
    "MATCH_OPEN",
    "KEEP",
    "SESSION_ID",
    "STATUSES",
    "AsrLine",
    "CaptionState",
    "Catalog",
    "CatalogError",
    "ChapterInput",
    "Conflict",
    "DataFolder",
    "ExpectedFile",
    "Hit",
    "Item",
    "MediaInput",
    "NotFound",
    "Offer",
    "SearchRequest",
    "SearchResults",
    "Session",
    "SessionLink",
    "SessionMeta",
    "SlideDeck",
    "SpeakerCredit",
    "Staff",
    "StoredChapter",
    "StoredSegment",
    "TrackInfo",
    "TrackInput",
    "User",
    "check_items",
    "check_length",
    "export_info",
    "metadata_path",
    "ops_for",
    "parse_date",
    "write_metadata",
]
