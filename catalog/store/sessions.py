"""Writing sessions: one ``BEGIN IMMEDIATE`` transaction per save, idempotent by ``source_key``."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import replace

import sqlite_utils

from catalog.errors import CatalogError, NotFound
from catalog.models import SESSION_ID, STATUSES, TRACK_SOURCES, MediaInput, SessionMeta, TrackInput
from catalog.staff.audit import record
from catalog.staff.events import resolve_event
from catalog.store.db import dialect, transaction, utcnow
from catalog.store.field_limits import check_items, check_length
from catalog.store.names import credit_speaker, ensure_speaker, ensure_topic
from catalog.store.refetch import NO_EDITS, HandEdits, keeps_asr_track, staff_edits
from catalog.store.values import check_date, clean_segment_text
from catalog.store.windows import index_windows
from transcripts import Chapter, Segment


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise CatalogError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    return status


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CatalogError(f"{what} must be a finite number of seconds, got {value!r}")
    return float(value)


# The text fields of a session with a length limit (catalog/store/field_limits.py), whoever writes them.
_LIMITED_FIELDS = ("title", "event", "description", "language", "source_url", "video_url", "thumbnail_url")
_LIMITED_FIELDS += ("channel",)


def _check_meta(source_key: str, meta: SessionMeta) -> None:
    if not isinstance(source_key, str) or not source_key.strip():
        raise CatalogError("a session needs a non-empty source key")
    if not isinstance(meta.title, str) or not meta.title.strip():
        raise CatalogError("a session needs a title")
    for name in _LIMITED_FIELDS:
        value = getattr(meta, name)
        check_length(name, value if isinstance(value, str) else None)
    for name in ("tags", "speakers", "topics"):
        check_items(name, list(getattr(meta, name)))
    check_date(meta.date)
    check_status(meta.status)
    if meta.duration is not None:
        _finite(meta.duration, "duration")


def _check_files(tracks: Sequence[TrackInput], media: MediaInput | None) -> None:
    for track in tracks:
        check_relative(track.raw_path, f"the {track.language!r} caption file")
    if media is not None:
        check_relative(media.path, "the media file")


def check_relative(path: object, what: str) -> None:
    """A stored file path stays inside the data folder: relative, no ``..``, no backslashes or NULs."""
    if path is None:
        return
    if not isinstance(path, str) or not path.strip():
        raise CatalogError(f"{what} must be a path inside the data folder, got {path!r}")
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or "\x00" in path or ".." in parts or ":" in parts[0]:
        raise CatalogError(f"{what} must be a relative path inside the data folder, got {path!r}")


def _session_values(meta: SessionMeta, media: MediaInput | None) -> dict:
    values = {
        "title": " ".join(meta.title.split()),
        "date": meta.date,
        "event": meta.event,
        "description": meta.description,
        "source_url": meta.source_url,
        "video_url": meta.video_url,
        "thumbnail_url": meta.thumbnail_url,
        "duration": meta.duration,
        "language": meta.language,
        "channel": meta.channel,
        "tags": json.dumps(list(meta.tags)),
        "extra": json.dumps(meta.extra or {}, default=str),
        "status": meta.status,
    }
    if media is not None:
        values.update(
            media_path=media.path, media_size=media.size, media_sha256=media.sha256, media_type=media.mime
        )
    return values


def save_session(
    db: sqlite_utils.Database,
    source_key: str,
    meta: SessionMeta,
    tracks: Sequence[TrackInput],
    chapters: Sequence[Chapter],
    media: MediaInput | None,
    by: str | None = None,
) -> int:
    _check_meta(source_key, meta)
    _check_files(tracks, media)
    try:
        with transaction(db) as conn:
            before = _audited(conn, "source_key", source_key)
            meta = replace(meta, event=resolve_event(conn, meta.event))
            session_id, edits = _upsert_session(conn, source_key, meta, media)
            if not edits.transcript and keeps_asr_track(conn, session_id, tracks):
                edits = replace(edits, transcript=True)  # no captions at the source: keep the automatic ones
            _clear_children(conn, session_id, edits)
            _store_credits(conn, session_id, meta, edits)
            _resolve_media_path(conn, session_id)
            if not edits.transcript:
                count = _store_tracks(conn, session_id, tracks)
                conn.execute(
                    "UPDATE sessions SET segment_count = ?, has_transcript = ? WHERE id = ?",
                    (count, int(count > 0), session_id),
                )
            if not edits.chapters:
                _store_chapters(conn, session_id, chapters or _chapters_from_tracks(tracks))
            _audit_save(conn, by, session_id, source_key, before)
    except sqlite3.Error as exc:
        raise CatalogError(f"could not save session {source_key!r}: {exc}") from exc
    return session_id


AUDITED = ("title", "date", "event", "description", "video_url", "status", "segment_count")


def _audited(conn: sqlite3.Connection, column: str, value: object) -> dict | None:
    row = conn.execute(f"SELECT {', '.join(AUDITED)} FROM sessions WHERE {column} = ?", (value,)).fetchone()
    return dict(zip(AUDITED, row, strict=True)) if row else None


def _audit_save(
    conn: sqlite3.Connection, by: str | None, session_id: int, source_key: str, before: dict | None
) -> None:
    """The save's audit entry, in its transaction: ``session.create``, or ``session.update`` with each changed
    field as ``[before, after]``; a save that changed none of them writes none (a sync refreshing its newest
    entries)."""
    after = _audited(conn, "id", session_id) or {}
    if before is None:
        record(conn, by, session_id, "session.create", source=source_key, title=after.get("title"))
        return
    changes = {k: [before[k], after.get(k)] for k in AUDITED if before[k] != after.get(k)}
    if changes:
        record(conn, by, session_id, "session.update", source=source_key, changes=changes)


def with_session_id(path: str | None, session_id: int) -> str | None:
    """A stored file path with ``SESSION_ID`` (``{session_id}``) replaced by the id: a new session's files can
    be named in the same transaction that creates it, so that a crash never leaves it without its transcript."""
    return path.replace(SESSION_ID, str(session_id)) if path else path


def _resolve_media_path(conn: sqlite3.Connection, session_id: int) -> None:
    conn.execute(
        "UPDATE sessions SET media_path = replace(media_path, ?, ?) WHERE id = ? AND instr(media_path, ?) > 0",
        (SESSION_ID, str(session_id), session_id, SESSION_ID),
    )


def _upsert_session(
    conn: sqlite3.Connection, source_key: str, meta: SessionMeta, media
) -> tuple[int, HandEdits]:
    """Insert the session, or update it keeping the fields staff edited by hand; returns (id, those edits)."""
    now = utcnow()
    values = _session_values(meta, media)
    row = conn.execute("SELECT id, published_at FROM sessions WHERE source_key = ?", (source_key,)).fetchone()
    published_at = row[1] if row else None
    if meta.status == "published" and not published_at:
        published_at = now
    values.update(published_at=published_at, updated_at=now)
    if row:
        edits = staff_edits(conn, row[0])
        values = {column: value for column, value in values.items() if column not in edits.fields}
        assignments = ", ".join(f"{column} = ?" for column in values)
        conn.execute(f"UPDATE sessions SET {assignments} WHERE id = ?", (*values.values(), row[0]))
        return row[0], edits
    values.update(source_key=source_key, created_at=now)
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    new_id = conn.execute(
        f"INSERT INTO sessions ({columns}) VALUES ({marks})", tuple(values.values())
    ).lastrowid
    return new_id, NO_EDITS


def _clear_children(conn: sqlite3.Connection, session_id: int, edits: HandEdits) -> None:
    """Remove what the save replaces; what staff edited by hand stays."""
    kept = {
        "segments": edits.transcript,
        "track_segments": edits.transcript,
        "tracks": edits.transcript,
        "chapters": edits.chapters,
        "session_speakers": edits.speakers,
        "session_topics": edits.topics,
    }
    for table, keep in kept.items():
        if not keep:
            conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))


def _store_credits(conn: sqlite3.Connection, session_id: int, meta: SessionMeta, edits: HandEdits) -> None:
    for credit in () if edits.speakers else meta.speakers:
        speaker_id = ensure_speaker(conn, credit.name)
        credit_speaker(conn, session_id, speaker_id, credit.role)
    for topic in () if edits.topics else meta.topics:
        topic_id = ensure_topic(conn, topic)
        conn.execute(
            "INSERT OR IGNORE INTO session_topics (session_id, topic_id) VALUES (?, ?)",
            (session_id, topic_id),
        )


def _store_tracks(conn: sqlite3.Connection, session_id: int, tracks: Sequence[TrackInput]) -> int:
    """Store each track; the first with segments is primary: its segments are the session's ``segments`` (the
    transcript shown, exported and corrected). Every other track's segments go to ``track_segments``, searchable in
    their own language. Returns the primary track's count."""
    primary = next((t for t in tracks if t.transcript.segments), None)
    languages: set[str] = set()
    count = 0
    for track in tracks:
        if track.source not in TRACK_SOURCES:
            raise CatalogError(
                f"track source must be one of {', '.join(TRACK_SOURCES)}, got {track.source!r}"
            )
        if track.language in languages:
            raise CatalogError(f"two caption tracks in the same language {track.language!r}")
        languages.add(track.language)
        track_id = conn.execute(
            "INSERT INTO tracks (session_id, language, source, format, raw_path, reviewed, is_primary, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                track.language,
                track.source,
                track.transcript.format,
                with_session_id(track.raw_path, session_id),
                int(track.reviewed),
                int(track is primary),
                utcnow(),
            ),
        ).lastrowid
        if track is primary:
            count = _store_segments(conn, session_id, track_id, track.transcript.segments)
        else:
            _store_track_segments(conn, session_id, track_id, track.transcript.segments)
    return count


def _store_track_segments(
    conn: sqlite3.Connection, session_id: int, track_id: int, segments: Sequence[Segment]
) -> None:
    """A secondary track's segments (no speakers credited: the primary track names them)."""
    _insert_rows(
        conn,
        "track_segments",
        ("session_id", "track_id", "position", "start", "end", "text", "marks"),
        (
            (session_id, track_id, position, *_segment_fields(segment, position))
            for position, segment in enumerate(segments)
        ),
    )


def _insert_rows(
    conn: sqlite3.Connection, table: str, columns: tuple[str, ...], rows: Iterator[tuple]
) -> None:
    """``rows`` into ``table`` with ONE statement on SQLite: they are staged in a temporary table (no triggers),
    then copied in by one ``INSERT … SELECT`` in order (ids ascend with the positions, as before). On SQLite 3.40
    every statement that writes an FTS5 index through a trigger flushes FTS5's pending terms into a b-tree of its
    own (the statement's savepoint): one ``INSERT`` per segment left one b-tree per segment, which FTS5 then had to
    merge (a 3-hour file: 1,075; docs/benchmarks.md, "Compacted full-text indexes"). PostgreSQL has no such cost:
    one statement per row there, as before."""
    names = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    if dialect(conn) == "postgresql":
        conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        return
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS stage_{table} AS SELECT {names} FROM main.{table} WHERE 0")
    conn.execute(f"DELETE FROM temp.stage_{table}")
    conn.executemany(f"INSERT INTO temp.stage_{table} ({names}) VALUES ({marks})", rows)
    conn.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM temp.stage_{table} ORDER BY rowid")
    conn.execute(f"DELETE FROM temp.stage_{table}")


def _store_segments(
    conn: sqlite3.Connection, session_id: int, track_id: int, segments: Sequence[Segment]
) -> int:
    speakers: dict[str, int] = {}
    for segment in segments:
        if segment.speaker and segment.speaker not in speakers:
            speakers[segment.speaker] = ensure_speaker(conn, segment.speaker)
            credit_speaker(conn, session_id, speakers[segment.speaker])

    def rows() -> Iterator[tuple]:
        for position, segment in enumerate(segments):
            start, end, text, marks = _segment_fields(segment, position)
            speaker_id = speakers[segment.speaker] if segment.speaker else None
            yield (session_id, track_id, position, start, end, speaker_id, text, marks)

    _insert_rows(
        conn,
        "segments",
        ("session_id", "track_id", "position", "start", "end", "speaker_id", "text", "marks"),
        rows(),
    )
    index_windows(conn, session_id)
    return len(segments)


def _segment_fields(segment: Segment, position: int) -> tuple[float, float, str, str]:
    start, end, text = segment.start, segment.end, segment.text
    if not (_is_seconds(start) and _is_seconds(end) and 0 <= start <= end):
        raise CatalogError(
            f"segment {position + 1}: times must be numbers with 0 <= start <= end, got {start!r}..{end!r}"
        )
    if not isinstance(text, str):
        raise CatalogError(f"segment {position + 1}: text must be text, got {type(text).__name__}")
    text = clean_segment_text(text)
    marks = []
    for mark in segment.marks:
        offset, seconds = mark.offset, mark.time
        if not (isinstance(offset, int) and 0 <= offset <= len(text) and _is_seconds(seconds)):
            raise CatalogError(
                f"segment {position + 1}: mark ({offset!r}, {seconds!r}) is outside the text or not a time"
            )
        marks.append(f"[{offset},{float(seconds)!r}]")
    return float(start), float(end), text, "[" + ",".join(marks) + "]"


def _is_seconds(value: object) -> bool:
    return type(value) in (float, int) and math.isfinite(value)


def _chapters_from_tracks(tracks: Sequence[TrackInput]) -> tuple[Chapter, ...]:
    for track in tracks:
        if track.transcript.chapters:
            return track.transcript.chapters
    return ()


def _store_chapters(conn: sqlite3.Connection, session_id: int, chapters: Sequence[Chapter]) -> None:
    for number, chapter in enumerate(chapters, 1):
        start = _finite(chapter.start, f"chapter {number}: start")
        end = None if chapter.end is None else _finite(chapter.end, f"chapter {number}: end")
        if not isinstance(chapter.title, str) or not chapter.title.strip():
            raise CatalogError(f"chapter {number} needs a title")
        conn.execute(
            "INSERT INTO chapters (session_id, start, end, title) VALUES (?, ?, ?, ?)",
            (session_id, start, end, chapter.title.strip()),
        )


def set_status(db: sqlite_utils.Database, session_id: int, status: str) -> None:
    check_status(status)
    now = utcnow()
    with transaction(db) as conn:
        row = conn.execute("SELECT published_at FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise NotFound(f"no session with id {session_id}")
        published_at = row[0] or (now if status == "published" else None)
        conn.execute(
            "UPDATE sessions SET status = ?, published_at = ?, updated_at = ? WHERE id = ?",
            (status, published_at, now, session_id),
        )


def find_session_id(db: sqlite_utils.Database, source_key: str) -> int | None:
    row = db.conn.execute("SELECT id FROM sessions WHERE source_key = ?", (source_key,)).fetchone()
    return row[0] if row else None


def delete_session(db: sqlite_utils.Database, session_id: int) -> None:
    """Remove a session and everything of it (segments leave the full-text index through the triggers)."""
    with transaction(db) as conn:
        if conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount == 0:
            raise NotFound(f"no session with id {session_id}")
