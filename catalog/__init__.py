"""The catalog: the SQLite file, its schema, FTS5 indexes, search. Every SQL statement of the project lives here."""

from catalog.errors import CatalogError, Conflict, NotFound
from catalog.facade import Catalog
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

__all__ = [
    "Catalog",
    "CatalogError",
    "Conflict",
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
