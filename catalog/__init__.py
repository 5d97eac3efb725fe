"""The catalog: the SQLite file, its schema, FTS5 indexes, search. Every SQL statement of the project lives here."""

from catalog.errors import CatalogError, Conflict, NotFound
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
from catalog.public_export import ExportSummary, export_info, export_public, metadata_path, write_metadata
from catalog.store import Catalog
from catalog.version import DataVersion, data_version

__all__ = [
    "Catalog",
    "CatalogError",
    "Conflict",
    "DataVersion",
    "ExportSummary",
    "Facet",
    "data_version",
    "export_info",
    "export_public",
    "metadata_path",
    "write_metadata",
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
