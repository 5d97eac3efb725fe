"""Keeping ``segment_windows_fts`` (schema ``MIGRATION_SEGMENT_WINDOWS``) current: the one call that the writers
of segments (``store/sessions.py`` at ingest, ``ops/load.py`` at load) make after storing a session's segments.
The index is external content over the ``segment_windows`` view; the schema's triggers take windows out before a
change, this puts them back. ``catalog/search/crosscut.py`` reads it."""

from __future__ import annotations

import sqlite3

from catalog.store.db import dialect


def index_windows(conn: sqlite3.Connection, session_id: int) -> None:
    """Write the windows of a session's segments (after they are stored). On PostgreSQL the search keeps its own
    index of the windows (``catalog/search/``), so there is nothing to write here."""
    if dialect(conn) == "postgresql":
        return
    windows = conn.execute(
        "SELECT id, text FROM segment_windows WHERE id IN (SELECT id FROM segments WHERE session_id = ?)",
        (session_id,),
    ).fetchall()  # read first, then written: about 3x faster than INSERT ... SELECT from the view
    conn.executemany("INSERT INTO segment_windows_fts(rowid, text) VALUES (?, ?)", windows)


def take_out_windows(conn: sqlite3.Connection, session_id: int) -> None:
    """Take the windows of a session's segments out of the index, before a change the triggers do not follow (new
    segments among old ones, positions renumbered); ``index_windows`` puts them back after it."""
    if dialect(conn) == "postgresql":
        return
    conn.execute(
        "INSERT INTO segment_windows_fts(segment_windows_fts, rowid, text) SELECT 'delete', id, text "
        "FROM segment_windows WHERE id IN (SELECT id FROM segments WHERE session_id = ?)",
        (session_id,),
    )
