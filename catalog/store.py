"""The ``Catalog``: one SQLite file holding sessions, speakers, topics, transcripts and their FTS5 indexes.

Contract for the other packages (signatures are stable; bodies may change):
each method runs its own statements; writes are one transaction each (``catalog.db.transaction``).
A ``Catalog`` holds one connection: use one per thread (the web app keeps one per worker thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlite_utils

from catalog.db import connect
from catalog.models import (
    Facet,
    MediaInput,
    SearchRequest,
    SearchResults,
    Session,
    SessionMeta,
    SpeakerRef,
    StoredChapter,
    StoredSegment,
    TrackInput,
)
from transcripts import Chapter


class Catalog:
    def __init__(self, db: sqlite_utils.Database, path: Path | None = None):
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> Catalog:
        """Open or create the catalog file at ``path`` (migrated, WAL mode)."""
        return cls(connect(path), Path(path))

    def close(self) -> None:
        self.db.conn.close()

    # -- writing -------------------------------------------------------------------------------------------
    def save_session(
        self,
        source_key: str,
        meta: SessionMeta,
        tracks: Sequence[TrackInput] = (),
        chapters: Sequence[Chapter] = (),
        media: MediaInput | None = None,
    ) -> int:
        """Insert or update (by ``source_key``) a session with its speakers, topics, tracks, segments, chapters.

        Idempotent: the same source again updates the same session id, never duplicates it. Atomic: one
        transaction; on any error nothing changes. The first track whose transcript has segments becomes the
        primary track (indexed and shown). Returns the session id.
        """
        raise NotImplementedError

    def set_status(self, session_id: int, status: str) -> None:
        raise NotImplementedError

    # -- reading -------------------------------------------------------------------------------------------
    def find_session_id(self, source_key: str) -> int | None:
        raise NotImplementedError

    def get_session(self, session_id: int, *, include_drafts: bool = False) -> Session | None:
        """The session with speakers, topics and tracks; ``None`` if absent (or not published, unless asked)."""
        raise NotImplementedError

    def list_sessions(
        self,
        *,
        include_drafts: bool = False,
        event: str | None = None,
        topic: str | None = None,
        speaker: str | None = None,
        year: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, list[Session]]:
        """(total, page) of sessions, newest first. Filters take a name or slug."""
        raise NotImplementedError

    def segments(self, session_id: int) -> list[StoredSegment]:
        """The primary track's segments in order."""
        raise NotImplementedError

    def chapters(self, session_id: int) -> list[StoredChapter]:
        raise NotImplementedError

    def facets(self, *, include_drafts: bool = False) -> dict[str, list[Facet]]:
        """Counts of published sessions by ``events``, ``topics``, ``years``, ``speakers``."""
        raise NotImplementedError

    def speaker(self, slug_or_name: str) -> SpeakerRef | None:
        """A speaker by slug or name, following merges."""
        raise NotImplementedError

    # -- search --------------------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResults:
        """Full-text search over transcript segments. Never raises on any query string."""
        raise NotImplementedError

    def search_sessions(self, query: str, *, limit: int = 20, include_drafts: bool = False) -> list[Session]:
        """Sessions whose title, description or event match ``query`` (same query syntax)."""
        raise NotImplementedError
