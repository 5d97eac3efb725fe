"""Transcripts made by speech recognition: stored as a track with ``source = 'asr'``, the model's name and hash,
and each word's confidence next to its time mark.

Transcribing again replaces the automatic lines but keeps every line a staffer corrected (those with a row in
``segment_versions``): new lines that overlap a corrected one in time are dropped, the rest are renumbered in
time order. Fetching the session again from its source (a sync refresh) keeps an automatic transcript when the
source still has no captions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from catalog.errors import CatalogError, NotFound
from catalog.staff.audit import record
from catalog.store.db import transaction, utcnow
from catalog.store.sessions import _segment_fields
from catalog.store.windows import index_windows, take_out_windows
from transcripts import Segment


@dataclass(frozen=True)
class AsrLine:
    """One recognised line and, per word, (char offset, char end, probability)."""

    segment: Segment
    confidence: tuple[tuple[int, int, float], ...] = ()


@dataclass(frozen=True)
class AsrTrack:
    track_id: int
    language: str
    model: str | None
    model_sha256: str | None
    created_at: str
    reviewed: bool = False


@dataclass(frozen=True)
class SavedAsr:
    track_id: int
    stored: int  # new automatic lines stored
    kept: int  # corrected lines kept from before


def save_asr_track(
    db: sqlite_utils.Database,
    session_id: int,
    lines: Sequence[AsrLine],
    *,
    model: str,
    model_sha256: str,
    language: str = "en",
    by: str | None = None,
) -> SavedAsr:
    """Store ``lines`` as the session's primary, automatic track (one transaction), with its audit entry
    (``transcript.asr``, by who asked for it)."""
    with transaction(db) as conn:
        if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
            raise NotFound(f"no session with id {session_id}")
        if human_captions(conn, session_id):
            raise CatalogError(
                f"session {session_id} already has captions: it is not transcribed automatically"
            )
        track_id = _asr_track_row(conn, session_id, language, model, model_sha256)
        kept = _corrected_spans(conn, session_id)
        conn.execute(
            "DELETE FROM segments WHERE session_id = ? AND id NOT IN "
            "(SELECT DISTINCT v.segment_id FROM segment_versions v JOIN segments s ON s.id = v.segment_id "
            "WHERE s.session_id = ?)",
            (session_id, session_id),
        )
        conn.execute("UPDATE segments SET track_id = ? WHERE session_id = ?", (track_id, session_id))
        fresh = [line for line in lines if not _overlaps(line.segment, kept)]
        take_out_windows(conn, session_id)  # the kept lines' windows change with their new neighbours
        _insert(conn, session_id, track_id, fresh)
        count = _renumber(conn, session_id)
        index_windows(conn, session_id)
        conn.execute(
            "UPDATE sessions SET segment_count = ?, has_transcript = ?, updated_at = ? WHERE id = ?",
            (count, int(count > 0), utcnow(), session_id),
        )
        record(conn, by, session_id, "transcript.asr", model=model, lines=len(fresh), kept=len(kept))
    return SavedAsr(track_id, len(fresh), len(kept))


def asr_track(db: sqlite_utils.Database, session_id: int) -> AsrTrack | None:
    """The session's automatic track, if its transcript is one."""
    row = db.conn.execute(
        "SELECT id, language, model, model_sha256, created_at, reviewed FROM tracks "
        "WHERE session_id = ? AND source = 'asr' AND is_primary = 1",
        (session_id,),
    ).fetchone()
    return AsrTrack(*row[:5], reviewed=bool(row[5])) if row else None


def low_confidence_words(
    db: sqlite_utils.Database, session_id: int, below: float
) -> dict[int, list[tuple[int, int]]]:
    """``{segment id: [(char offset, char end), ...]}`` of words recognised with probability under ``below``;
    lines a staffer corrected have none (a person has read them)."""
    rows = db.conn.execute(
        "SELECT id, confidence FROM segments WHERE session_id = ? AND confidence IS NOT NULL "
        "AND id NOT IN (SELECT segment_id FROM segment_versions)",
        (session_id,),
    )
    found: dict[int, list[tuple[int, int]]] = {}
    for segment_id, confidence in rows:
        spans = [(start, end) for start, end, p in json.loads(confidence) if p < below]
        if spans:
            found[segment_id] = spans
    return found


def human_captions(conn: sqlite3.Connection, session_id: int) -> bool:
    """Whether the session's transcript came from a caption file (not from speech recognition)."""
    row = conn.execute(
        "SELECT 1 FROM tracks t WHERE t.session_id = ? AND t.source != 'asr' AND t.is_primary = 1 "
        "AND EXISTS (SELECT 1 FROM segments s WHERE s.track_id = t.id)",
        (session_id,),
    ).fetchone()
    return row is not None


def _asr_track_row(conn: sqlite3.Connection, session_id: int, language: str, model: str, sha: str) -> int:
    # an empty caption track in the language gives way (one track per language); other languages stay
    conn.execute(
        "DELETE FROM tracks WHERE session_id = ? AND source != 'asr' AND language = ?", (session_id, language)
    )
    conn.execute("UPDATE tracks SET is_primary = 0 WHERE session_id = ? AND source != 'asr'", (session_id,))
    row = conn.execute(
        "SELECT id FROM tracks WHERE session_id = ? AND source = 'asr'", (session_id,)
    ).fetchone()
    if row:
        conn.execute(
            "UPDATE tracks SET language = ?, model = ?, model_sha256 = ?, is_primary = 1, reviewed = 0, "
            "created_at = ? WHERE id = ?",  # new automatic lines: nobody has reviewed them yet
            (language, model, sha, utcnow(), row[0]),
        )
        return row[0]
    return conn.execute(
        "INSERT INTO tracks (session_id, language, source, format, reviewed, is_primary, created_at, model, "
        "model_sha256) VALUES (?, ?, 'asr', NULL, 0, 1, ?, ?, ?)",
        (session_id, language, utcnow(), model, sha),
    ).lastrowid


def _corrected_spans(conn: sqlite3.Connection, session_id: int) -> list[tuple[float, float]]:
    return conn.execute(
        "SELECT start, end FROM segments WHERE session_id = ? AND id IN (SELECT segment_id FROM segment_versions)",
        (session_id,),
    ).fetchall()


def _overlaps(segment: Segment, spans: Sequence[tuple[float, float]]) -> bool:
    return any(segment.start < end and segment.end > start for start, end in spans)


def _insert(conn: sqlite3.Connection, session_id: int, track_id: int, lines: Sequence[AsrLine]) -> None:
    rows = []
    for position, line in enumerate(lines):
        start, end, text, marks = _segment_fields(line.segment, position)
        confidence = json.dumps([[int(a), int(b), float(p)] for a, b, p in line.confidence])
        rows.append((session_id, track_id, position, start, end, text, marks, confidence))
    conn.executemany(
        "INSERT INTO segments (session_id, track_id, position, start, end, text, marks, confidence) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _renumber(conn: sqlite3.Connection, session_id: int) -> int:
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM segments WHERE session_id = ? ORDER BY start, id", (session_id,)
        )
    ]
    conn.executemany("UPDATE segments SET position = ? WHERE id = ?", list(enumerate(ids)))
    return len(ids)
