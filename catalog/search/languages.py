"""Search in every language: the primary track's segments (``segments_fts``, English stemming) and the other
caption tracks' segments (``track_segments_fts``, no stemming, accents folded; schema
``MIGRATION_TRACK_SEGMENTS``).

Without a ``lang`` filter a search covers both: the primary-track hits first, in the one ranking of
``search/paths.py``, then the other tracks' hits by bm25 over their own index (two indexes' scores are not one
scale, so the lists are concatenated, not interleaved). With ``lang`` the primary part keeps the sessions whose
primary track is in that language (``language_filter``, planned with the other filters) and the other part keeps
the tracks in it. A language matches itself and its regional forms: ``es`` matches ``es`` and ``es-419``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace

from catalog.models import Hit, SearchRequest, SearchResults
from catalog.store.reads import visible

OTHER_SNIPPET = "snippet(track_segments_fts, 0, char(2), char(3), '…', 32)"
OTHER_COUNT_LIMIT = (
    20_000  # the other tracks' matches counted at most (the rest of the archive is the primary's)
)


def language_filter(lang: str, column: str) -> tuple[str, tuple[str, str]]:
    """SQL true when ``column`` is ``lang`` or a regional form of it, and its parameters."""
    return f"({column} = ? COLLATE NOCASE OR {column} LIKE ?)", (lang, lang.replace("%", "") + "-%")


def primary_in(lang: str) -> tuple[str, tuple[str, str]]:
    """SQL over ``se`` (sessions): its primary track is in ``lang``."""
    test, params = language_filter(lang, "language")
    return f"se.id IN (SELECT session_id FROM tracks WHERE is_primary = 1 AND {test})", params


def everywhere(
    conn: sqlite3.Connection,
    request: SearchRequest,
    match: str,
    allowed: tuple[int, ...] | None,
    primary: Callable[[SearchRequest], SearchResults],
    to_hit: Callable[[tuple], Hit],
) -> SearchResults:
    """The primary search's page continued by the other tracks' hits: ``total`` counts both. ``to_hit`` makes a
    hit of a row (id, session id, title, date, start, end, speaker, text, marks, snippet, language)."""
    results = primary(request)
    primary_total = results.total
    skip = max(request.offset - primary_total, 0)
    room = request.limit - len(results.hits)
    total, rows = _other_tracks(conn, request, match, allowed, skip, room)
    if total == 0:
        return results
    return replace(results, total=primary_total + total, hits=results.hits + tuple(map(to_hit, rows)))


def any_other_track(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM track_segments LIMIT 1").fetchone() is not None


def _other_tracks(
    conn: sqlite3.Connection,
    request: SearchRequest,
    match: str,
    allowed: tuple[int, ...] | None,
    skip: int,
    room: int,
) -> tuple[int, list[tuple]]:
    where, params = [visible(request.include_drafts, "se")], []
    if allowed is not None:
        where.append(f"se.id IN ({','.join('?' * len(allowed))})" if allowed else "0")
        params += allowed
    if request.lang:
        test, more = language_filter(request.lang, "tr.language")
        where.append(test)
        params += more
    if request.exact:
        where.append("uscm_literal_at(t.text) IS NOT NULL")
    source = (
        "FROM track_segments_fts f JOIN track_segments t ON t.id = f.rowid JOIN tracks tr ON tr.id = t.track_id "
        f"JOIN sessions se ON se.id = t.session_id WHERE track_segments_fts MATCH ? AND {' AND '.join(where)}"
    )
    (total,) = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 {source} LIMIT {OTHER_COUNT_LIMIT})", (match, *params)
    ).fetchone()
    if total == 0 or room <= 0:
        return total, []
    rows = conn.execute(
        "SELECT t.id, t.session_id, se.title, se.date, t.start, t.end, NULL, t.text, t.marks, "
        f"{OTHER_SNIPPET}, tr.language {source} ORDER BY f.rank, f.rowid LIMIT ? OFFSET ?",
        (match, *params, room, skip),
    ).fetchall()
    return total, rows
