"""The catalog: the SQLite file, its schema, FTS5 indexes, search. Every SQL statement of the project lives here."""

from catalog.data_files import DataFiles, ExpectedFile
from catalog.errors import CatalogError, Conflict, NotFound
from catalog.field_limits import FIELD_LIMITS, check_items, check_length
from catalog.models import (
    Facet,
    Hit,
    MediaInput,
    SearchRequest,
    SearchResults,
    Session,
    SessionMeta,
    SpeakerCredit,
    SpeakerRef,
    StoredChapter,
    StoredSegment,
    TopicRef,
    TrackInfo,
    TrackInput,
)
from catalog.store import Catalog

__all__ = [
    "Catalog",
    "CatalogError",
    "Conflict",
    "DataFiles",
    "ExpectedFile",
    "FIELD_LIMITS",
    "check_items",
    "check_length",
    "Facet",
    "Hit",
    "MediaInput",
    "NotFound",
    "SearchRequest",
    "SearchResults",
    "Session",
    "SessionMeta",
    "SpeakerCredit",
    "SpeakerRef",
    "StoredChapter",
    "StoredSegment",
    "TopicRef",
    "TrackInfo",
    "TrackInput",
]
