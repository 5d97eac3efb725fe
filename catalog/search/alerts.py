"""New moments for a saved search: the newest published sessions that match a search, each with its matches.

What a search's Atom feed lists and what a staff digest mails. Published sessions only (a draft or a retracted
session never matches), newest first by when they were published (or added); each session's matches come from
the one search engine, narrowed to that session, so they are exactly the hits ``/search`` shows for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass, replace

from catalog.models import Hit, SearchRequest
from catalog.search import engine

SCAN_LIMIT = 500  # the newest sessions looked at for one feed or digest
PER_SESSION = 10  # matches listed per session


@dataclass(frozen=True)
class SessionMoments:
    """A published session that matches a search: when it was published, and its first matches in time order."""

    session_id: int
    title: str
    date: str | None
    published_at: str
    total: int  # how many moments of the session match
    hits: tuple[Hit, ...]


def new_moments(
    conn: sqlite3.Connection,
    request: SearchRequest,
    *,
    since: str | None = None,
    skip: Collection[int] = (),
    limit: int = 20,
) -> list[SessionMoments]:
    """Up to ``limit`` sessions published at or after ``since`` (ISO timestamp; any time when ``None``) that match
    ``request``, newest first, leaving out the session ids in ``skip``. Raises only ``CatalogError`` (bad dates)."""
    rows = conn.execute(
        """SELECT id, COALESCE(published_at, created_at) AS shown FROM sessions
           WHERE status = 'published'
             AND (CAST(:since AS TEXT) IS NULL OR COALESCE(published_at, created_at) >= CAST(:since AS TEXT))
           ORDER BY shown DESC, id DESC LIMIT :scan""",
        {"since": since, "scan": SCAN_LIMIT},
    ).fetchall()
    found: list[SessionMoments] = []
    for session_id, shown in rows:
        if session_id in skip:
            continue
        narrowed = replace(request, session_id=session_id, limit=PER_SESSION, offset=0, include_drafts=False)
        results = engine.search(conn, narrowed)
        if not results.total:
            continue
        hits = tuple(sorted(results.hits, key=lambda hit: (hit.start, hit.segment_id)))
        first = hits[0]
        found.append(
            SessionMoments(session_id, first.session_title, first.session_date, shown, results.total, hits)
        )
        if len(found) >= limit:
            break
    return found
