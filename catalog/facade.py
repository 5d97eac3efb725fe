"""The ``Catalog``: the one public entry to the catalog, and the contract a second backend implements.

Its methods store and read sessions (``catalog/store/``) and search them (``catalog/search/``); its parts share
its connection: ``staff`` (``catalog/staff/``), ``queue`` (``catalog/queue/``) and ``ops`` (``catalog/ops/``).

Contract for the other packages (signatures are stable; bodies may change):
each method runs its own statements; writes are one transaction each (``catalog.store.db.transaction``).
A ``Catalog`` holds one connection: use one per thread (the web app keeps one per worker thread).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

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
from catalog.store import facets as _facets
from catalog.store import reads
from catalog.store.db import connect, is_url
from catalog.store.version import DataVersion, file_version

if (
    TYPE_CHECKING
):  # the writing and staff parts load on first use: a command that only reads never imports them (and search
    # loads on the first search: a command that only writes never imports it)
    from catalog.ops import CatalogOps
    from catalog.queue import Queue
    from catalog.search import related as _related
    from catalog.search import trends as _trends
    from catalog.search.alerts import SessionMoments
    from catalog.staff import Staff
    from catalog.store.asr import AsrLine, AsrTrack, SavedAsr
    from catalog.store.extras import ChatLine, ChatResults, SessionLink, SlideDeck
    from transcripts import Chapter


class Catalog:
    def __init__(self, db: sqlite_utils.Database, path: str | Path):
        self.db = db  # inside catalog/ only: outside code uses the methods and parts
        # the SQLite file, or the PostgreSQL URL (``catalog.store.db.is_url``) the catalog was opened on
        self.target: str | Path = path if is_url(path) else Path(path)
        self.path = self.target
        self.backend = "postgresql" if is_url(path) else "sqlite"

    @cached_property
    def staff(self) -> Staff:
        from catalog.staff import Staff

        return Staff(self.db)

    @cached_property
    def queue(self) -> Queue:
        from catalog.queue import Queue

        return Queue(self)

    @cached_property
    def ops(self) -> CatalogOps:
        from catalog.ops import CatalogOps

        return CatalogOps(self.path, self)

    @classmethod
    def open(cls, path: str | Path) -> Catalog:
        """Open or create the catalog at ``path``: a SQLite file (migrated, WAL mode), or a PostgreSQL database
        named by a ``postgresql://`` URL (migrated; ``catalog/store/pg.py``)."""
        return cls(connect(path), path)

    @classmethod
    def open_replica(cls, url: str) -> Catalog:
        """Open the catalog on a PostgreSQL streaming standby (read-only: never migrated, never written;
        ``catalog/replicas.py`` says when one may be read)."""
        from catalog.store import pg

        return cls(pg.open_replica(url), url)

    def close(self) -> None:
        self.db.conn.close()

    def connection_lost(self) -> bool:
        """Whether this catalog's connection is known to be gone (a PostgreSQL server restarted or stopped under
        it): open another instead."""
        if self.backend == "postgresql":
            from catalog.store import pg

            return pg.connection_lost(self.db.conn)
        return False

    def data_version(self) -> DataVersion:
        """The catalog's data version: a token that moves with every commit, by any connection of any process,
        and is the same in every process for the same data (``catalog/store/version.py`` says why not SQLite's
        per-connection ``PRAGMA data_version``). Read it before the data it stands for. On PostgreSQL, a counter
        every write transaction moves (``catalog/store/schema_pg.py``)."""
        if self.backend == "postgresql":
            from catalog.store import pg

            return pg.data_version(self.db.conn)
        return file_version(self.path)

    @staticmethod
    def version_at(path: str | Path, *, replica: bool = False) -> DataVersion:
        """``data_version()`` of the catalog file at ``path``, without opening it (no connection, no migration);
        of the PostgreSQL catalog a URL names, on a pooled connection; of a read replica (``replica``), as that
        standby has replayed it."""
        if is_url(path):
            from catalog.store import pg

            return pg.replica_version_at(path) if replica else pg.version_at(path)
        return file_version(path)

    # -- writing -------------------------------------------------------------------------------------------
    def save_session(
        self,
        source_key: str,
        meta: SessionMeta,
        tracks: Sequence[TrackInput] = (),
        chapters: Sequence[Chapter] = (),
        media: MediaInput | None = None,
        *,
        by: str | None = None,
    ) -> int:
        """Insert or update (by ``source_key``) a session with its speakers, topics, tracks, segments, chapters.

        Idempotent: the same source again updates the same session id, never duplicates it. Atomic: one
        transaction; on any error nothing changes. The first track whose transcript has segments becomes the
        primary track (indexed and shown). Returns the session id. ``by`` is who asked (a staff name, or
        ``cli:<login>``): the save writes its audit entry (``session.create``, or ``session.update`` with what
        changed) in the same transaction. An event name that was renamed or merged away is stored as its new name.
        """
        from catalog.store import sessions

        return sessions.save_session(self.db, source_key, meta, tracks, chapters, media, by)

    def set_status(self, session_id: int, status: str) -> None:
        """Publish, unpublish (draft) or retract a session; ``NotFound`` if there is no such session."""
        from catalog.store import sessions

        sessions.set_status(self.db, session_id, status)

    def delete_session(self, session_id: int) -> None:
        """Remove a session with its tracks, segments and chapters; ``NotFound`` if there is none."""
        from catalog.store import sessions

        sessions.delete_session(self.db, session_id)

    def save_asr_track(
        self,
        session_id: int,
        lines: Sequence[AsrLine],
        *,
        model: str,
        model_sha256: str,
        language: str = "en",
        by: str | None = None,
    ) -> SavedAsr:
        """Store recognised ``lines`` as the session's primary, automatic track (one transaction); lines a
        staffer corrected stay (``catalog/store/asr.py``). ``CatalogError`` if the session has caption lines."""
        from catalog.store import asr

        return asr.save_asr_track(
            self.db, session_id, lines, model=model, model_sha256=model_sha256, language=language, by=by
        )

    # -- reading -------------------------------------------------------------------------------------------
    def find_session_id(self, source_key: str) -> int | None:
        from catalog.store import sessions

        return sessions.find_session_id(self.db, source_key)

    def get_session(self, session_id: int, *, include_drafts: bool = False) -> Session | None:
        """The session with speakers, topics and tracks; ``None`` if absent (or not published, unless asked)."""
        return reads.get_session(self.db.conn, session_id, include_drafts)

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
        return reads.list_sessions(
            self.db.conn,
            include_drafts=include_drafts,
            event=event,
            topic=topic,
            speaker=speaker,
            year=year,
            limit=limit,
            offset=offset,
        )

    def segments(self, session_id: int, language: str | None = None) -> list[StoredSegment]:
        """The primary track's segments in order (the caller checks the session is visible); with ``language``
        naming another of the session's tracks, that track's segments (``NotFound`` when it has none)."""
        if language is not None:
            return reads.segments_in(self.db.conn, session_id, language)
        return reads.segments(self.db.conn, session_id)

    def word_count(self, session_id: int) -> int:
        """How many words the primary track's stored segments hold (``segments``' texts, split on white space)."""
        return reads.word_count(self.db.conn, session_id)

    def track_languages(self, include_drafts: bool = False) -> list[str]:
        """The languages of the visible sessions' caption tracks (what search's ``lang`` can ask for)."""
        return reads.track_languages(self.db.conn, include_drafts)

    def chapters(self, session_id: int) -> list[StoredChapter]:
        return reads.chapters(self.db.conn, session_id)

    def asr_track(self, session_id: int) -> AsrTrack | None:
        """The session's automatic track (model, hash, reviewed), if its transcript is one."""
        from catalog.store import asr

        return asr.asr_track(self.db, session_id)

    def low_confidence_words(self, session_id: int, below: float) -> dict[int, list[tuple[int, int]]]:
        """``{segment id: [(char offset, char end), ...]}`` of words recognised with probability under ``below``."""
        from catalog.store import asr

        return asr.low_confidence_words(self.db, session_id, below)

    def facets(self, *, include_drafts: bool = False) -> dict[str, list[Facet]]:
        """Counts of published sessions by ``events``, ``topics``, ``years``, ``speakers``."""
        return _facets.facets(self.db.conn, include_drafts)

    def speaker(self, slug_or_name: str, *, include_drafts: bool = False) -> SpeakerRef | None:
        """A speaker by slug or name, following merges; publicly only one credited on a published session."""
        return _facets.speaker(self.db.conn, slug_or_name, include_drafts)

    def event_redirect(self, name_or_slug: str) -> str | None:
        """The current name of an event renamed or merged away (``None`` for a current name or an unknown one):
        its old page redirects there."""
        from catalog.staff.events import redirect_for

        return redirect_for(self.db.conn, name_or_slug)

    def speaker_moments(self, speaker_id: int, *, limit: int = 50, offset: int = 0):
        """(total, page of ``SpeakerMoment``) of what a speaker (and those merged into it) said, newest first."""
        from catalog.store import browse

        return browse.speaker_moments(self, speaker_id, limit=limit, offset=offset)

    def recently_added(self, *, limit: int = 30) -> list[Session]:
        """Published sessions, the most recently published (or added) first."""
        from catalog.store import browse

        return browse.recently_added(self, limit=limit)

    def published_count(self) -> int:
        """How many sessions the public can see (also proves the catalog answers)."""
        from catalog.store import browse

        return browse.published_count(self)

    # -- search --------------------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResults:
        """Full-text search over transcript segments. Never raises on any query string.

        Bad filters do raise ``CatalogError``: a date not written YYYY-MM-DD, an unknown ``session_id``
        (``NotFound``). An unknown speaker or topic gives no results with a ``message``.
        """
        from catalog.search import engine

        return engine.search(self.db.conn, request)

    def search_sessions(self, query: str, *, limit: int = 20, include_drafts: bool = False) -> list[Session]:
        """Sessions whose title, description or event match ``query`` (same query syntax)."""
        from catalog.search import engine

        ids = engine.search_sessions(self.db.conn, query, limit=limit, include_drafts=include_drafts)
        found = {s.id: s for s in self._sessions_by_id(ids)}
        return [found[i] for i in ids if i in found]

    def new_moments(
        self, request: SearchRequest, *, since: str | None = None, skip: Collection[int] = (), limit: int = 20
    ) -> list[SessionMoments]:
        """The newest published sessions (published at or after ``since``, not in ``skip``) matching ``request``,
        each with its matches in time order: a search's feed and digest (``catalog/search/alerts.py``)."""
        from catalog.search import alerts as _alerts

        return _alerts.new_moments(self.db.conn, request, since=since, skip=skip, limit=limit)

    # -- webinar extras (catalog/store/extras.py) ------------------------------------------------------------
    def chat(self, session_id: int) -> list[ChatLine]:
        """The session's chat messages in time order (the caller checks the session is visible)."""
        from catalog.store import extras

        return extras.chat(self.db.conn, session_id)

    def links(self, session_id: int) -> list[SessionLink]:
        from catalog.store import extras

        return extras.links(self.db.conn, session_id)

    def slides(self, session_id: int) -> SlideDeck | None:
        """The session's slides: the PDF's address and the time each page was shown from."""
        from catalog.store import extras

        return extras.slides(self.db.conn, session_id)

    def search_chat(self, request: SearchRequest) -> ChatResults:
        """Chat messages of published sessions matching ``request``: the ``chat`` kind of hit. Never raises on
        a query string; a bad date is a ``CatalogError``."""
        from catalog.store import extras

        return extras.search_chat(self.db.conn, request)

    def _sessions_by_id(self, ids: list[int]) -> list[Session]:
        return reads.sessions_by_id(self.db.conn, ids)

    def related(self, segment_id: int, *, limit: int = 5) -> _related.RelatedMoments:
        """Moments of other published sessions about what segment ``segment_id`` says (its rarest words OR-ed,
        ranked by bm25), one per session, at most ``limit``. ``NotFound`` unless the segment is public."""
        from catalog.search import related

        return related.related(self.db.conn, segment_id, limit)

    def trend(self, request: _trends.TrendRequest) -> _trends.Trend:
        """How many moments match each of ``request.terms`` per year or month (each count the ``total`` of the
        search for that period with the same filters). ``CatalogError`` for a bad filter or too many terms."""
        from catalog.search import trends

        return trends.trend(self.db.conn, request)
