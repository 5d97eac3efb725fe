"""Reading sessions, segments and chapters. Public reads see only published sessions unless asked."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence

from catalog.errors import CatalogError, NotFound
from catalog.models import Session, SpeakerRef, StoredChapter, StoredSegment, TopicRef, TrackInfo
from catalog.store.names import find_speaker_id, find_topic_id, slugify, speaker_ids_standing_for

SESSION_COLUMNS = (
    "id, source_key, title, date, event, description, source_url, video_url, thumbnail_url, duration, language, "
    "channel, tags, status, has_transcript, segment_count, media_path, media_size, media_sha256, media_type, "
    "created_at, updated_at, published_at, extra"
)
# A speaker as shown: the one it was merged into, if any (merges are kept one hop deep by the staff tools).
SHOWN_SPEAKER = "LEFT JOIN speakers sp0 ON sp0.id = {col} LEFT JOIN speakers sp ON sp.id = coalesce(sp0.merged_into, sp0.id)"


def visible(include_drafts: bool, alias: str = "sessions") -> str:
    return "1" if include_drafts else f"{alias}.status = 'published'"


def get_session(conn: sqlite3.Connection, session_id: int, include_drafts: bool) -> Session | None:
    row = conn.execute(
        f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ? AND {visible(include_drafts)}", (session_id,)
    ).fetchone()
    return build_sessions(conn, [row])[0] if row else None


def build_sessions(conn: sqlite3.Connection, rows: Sequence[tuple]) -> list[Session]:
    """Sessions from ``SESSION_COLUMNS`` rows, with speakers, topics and tracks fetched in one query each."""
    ids = [row[0] for row in rows]
    speakers, topics, tracks = _speakers_of(conn, ids), _topics_of(conn, ids), _tracks_of(conn, ids)
    sessions = []
    for row in rows:
        (sid, key, title, date, event, description, source_url, video_url, thumb, duration, language) = row[
            :11
        ]
        (channel, tags, status, has_tr, count, m_path, m_size, m_sha, m_type, created, updated) = row[11:22]
        published_at, extra = row[22], row[23]
        sessions.append(
            Session(
                id=sid, source_key=key, title=title, date=date, event=event, description=description,
                source_url=source_url, video_url=video_url, thumbnail_url=thumb, duration=duration,
                language=language, channel=channel, tags=tuple(json.loads(tags or "[]")), status=status,
                has_transcript=bool(has_tr), segment_count=count, media_path=m_path, media_size=m_size,
                media_sha256=m_sha, media_type=m_type, created_at=created, updated_at=updated,
                published_at=published_at, speakers=speakers[sid], topics=topics[sid], tracks=tracks[sid],
                extra=json.loads(extra or "{}"),
            )
        )  # fmt: skip
    return sessions


def _in(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def _speakers_of(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[SpeakerRef, ...]]:
    found: dict[int, dict[int, SpeakerRef]] = defaultdict(dict)
    rows = conn.execute(
        f"SELECT ss.session_id, sp.id, sp.name, sp.slug, ss.role FROM session_speakers ss "
        f"{SHOWN_SPEAKER.format(col='ss.speaker_id')} WHERE ss.session_id IN ({_in(ids)}) "
        "ORDER BY ss.session_id, ss.position",
        ids,
    )
    for session_id, speaker_id, name, slug, role in rows:
        found[session_id].setdefault(speaker_id, SpeakerRef(speaker_id, name, slug, role))
    return defaultdict(tuple, {sid: tuple(refs.values()) for sid, refs in found.items()})


def _topics_of(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[TopicRef, ...]]:
    found: dict[int, list[TopicRef]] = defaultdict(list)
    rows = conn.execute(
        f"SELECT st.session_id, t.id, t.name, t.slug FROM session_topics st JOIN topics t ON t.id = st.topic_id "
        f"WHERE st.session_id IN ({_in(ids)}) ORDER BY t.name",
        ids,
    )
    for session_id, topic_id, name, slug in rows:
        found[session_id].append(TopicRef(topic_id, name, slug))
    return defaultdict(tuple, {sid: tuple(refs) for sid, refs in found.items()})


def _tracks_of(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[TrackInfo, ...]]:
    found: dict[int, list[TrackInfo]] = defaultdict(list)
    rows = conn.execute(
        "SELECT session_id, id, language, source, format, raw_path, reviewed, is_primary FROM tracks "
        f"WHERE session_id IN ({_in(ids)}) ORDER BY session_id, is_primary DESC, id",
        ids,
    )
    for session_id, track_id, language, source, fmt, raw_path, reviewed, primary in rows:
        found[session_id].append(
            TrackInfo(track_id, language, source, fmt, raw_path, bool(reviewed), bool(primary))
        )
    return defaultdict(tuple, {sid: tuple(refs) for sid, refs in found.items()})


def list_sessions(
    conn: sqlite3.Connection,
    *,
    include_drafts: bool,
    event: str | None,
    topic: str | None,
    speaker: str | None,
    year: int | None,
    limit: int,
    offset: int,
) -> tuple[int, list[Session]]:
    if limit < 0 or offset < 0:
        raise CatalogError("limit and offset must not be negative")
    where, params = session_filters(
        conn, include_drafts=include_drafts, event=event, topic=topic, speaker=speaker
    )
    if year is not None:
        where.append("sessions.date >= ? AND sessions.date < ?")
        params += [f"{int(year):04d}-01-01", f"{int(year) + 1:04d}-01-01"]
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT count(*) FROM sessions WHERE {clause}", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT {SESSION_COLUMNS} FROM sessions WHERE {clause} "
        "ORDER BY sessions.date DESC NULLS LAST, sessions.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return total, build_sessions(conn, rows) if rows else []


def session_filters(
    conn: sqlite3.Connection,
    *,
    include_drafts: bool,
    event: str | None = None,
    topic: str | None = None,
    speaker: str | None = None,
) -> tuple[list[str], list]:
    """WHERE terms over ``sessions`` for the common filters (event, topic and speaker take a name or slug)."""
    where, params = [visible(include_drafts)], []
    if event:
        names = event_names(conn, event)
        where.append(f"sessions.event IN ({_in(names)})" if names else "0")
        params += names
    if topic:
        topic_id = find_topic_id(conn, topic)
        where.append("sessions.id IN (SELECT session_id FROM session_topics WHERE topic_id = ?)")
        params.append(topic_id if topic_id is not None else -1)
    if speaker:
        speaker_id = find_speaker_id(conn, speaker)
        ids = speaker_ids_standing_for(conn, speaker_id) if speaker_id is not None else [-1]
        where.append(
            f"sessions.id IN (SELECT session_id FROM session_speakers WHERE speaker_id IN ({_in(ids)}))"
        )
        params += ids
    return where, params


def event_names(conn: sqlite3.Connection, event: str) -> list[str]:
    """The stored event names matching ``event`` by name (case-insensitive) or slug."""
    wanted = " ".join(event.split()).lower()
    rows = conn.execute("SELECT DISTINCT event FROM sessions WHERE event IS NOT NULL").fetchall()
    return [name for (name,) in rows if name.lower() == wanted or slugify(name) == wanted]


def segments(conn: sqlite3.Connection, session_id: int) -> list[StoredSegment]:
    rows = conn.execute(
        "SELECT s.id, s.session_id, s.position, s.start, s.end, s.text, sp.name, sp.slug, s.marks "
        f"FROM segments s {SHOWN_SPEAKER.format(col='s.speaker_id')} WHERE s.session_id = ? ORDER BY s.position",
        (session_id,),
    )
    return [
        StoredSegment(
            sid, sess, pos, start, end, text, name, slug, tuple((o, t) for o, t in json.loads(marks))
        )
        for sid, sess, pos, start, end, text, name, slug, marks in rows
    ]


def word_count(conn: sqlite3.Connection, session_id: int) -> int:
    """How many words the primary track's segments hold (their texts split on white space)."""
    return sum(
        len(text.split())
        for (text,) in conn.execute("SELECT text FROM segments WHERE session_id = ?", (session_id,))
    )


def chapters(conn: sqlite3.Connection, session_id: int) -> list[StoredChapter]:
    rows = conn.execute(
        "SELECT id, session_id, start, end, title FROM chapters WHERE session_id = ? ORDER BY start, id",
        (session_id,),
    )
    return [StoredChapter(*row) for row in rows]


def sessions_by_id(conn: sqlite3.Connection, ids: Sequence[int]) -> list[Session]:
    if not ids:
        return []
    rows = conn.execute(
        f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id IN ({_in(ids)})", list(ids)
    ).fetchall()
    return build_sessions(conn, rows)


def segments_in(conn: sqlite3.Connection, session_id: int, language: str) -> list[StoredSegment]:
    """The segments of the session's track in ``language``: the primary track's (``segments``) or another's
    (``track_segments``); ``NotFound`` when the session has no track in that language with segments."""
    row = conn.execute(
        "SELECT id, is_primary FROM tracks WHERE session_id = ? AND language = ?", (session_id, language)
    ).fetchone()
    if row is not None and row[1]:
        return segments(conn, session_id)
    if row is None:
        raise NotFound(f"session {session_id} has no transcript in {language!r}")
    rows = conn.execute(
        "SELECT id, session_id, position, start, end, text, marks FROM track_segments WHERE track_id = ? "
        "ORDER BY position",
        (row[0],),
    )
    return [
        StoredSegment(sid, sess, pos, start, end, text, marks=tuple((o, t) for o, t in json.loads(marks)))
        for sid, sess, pos, start, end, text, marks in rows
    ]


def track_languages(conn: sqlite3.Connection, include_drafts: bool = False) -> list[str]:
    """The languages of the caption tracks of visible sessions, in code order."""
    rows = conn.execute(
        "SELECT DISTINCT t.language FROM tracks t JOIN sessions se ON se.id = t.session_id "
        f"WHERE {visible(include_drafts, 'se')} ORDER BY t.language"
    )
    return [language for (language,) in rows]
