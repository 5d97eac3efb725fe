"""The archive as open data: a self-contained SQLite file of what the public site shows, ready for Datasette.

Only published sessions go in, with their speakers, topics, tracks, segments and chapters; staff accounts, API
tokens, the audit log, segment versions, the ingest queue, file paths and drafts or retracted sessions never do
(the copy is built table by table from ``SELECT``s that name their columns, not by copying the file).
The full-text indexes are rebuilt in the copy and declared with ``content="table"`` so that Datasette detects
them for ``?_search=``. The file is written beside its destination in rollback-journal mode, then moved into
place: no ``-wal`` to forget, fit for ``datasette -i``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from catalog.errors import CatalogError
from catalog.store.db import is_url
from catalog.store.version import file_version

PUBLISHED = "SELECT id FROM live.sessions WHERE status = 'published'"

TABLES = {
    "sessions": (
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY, title TEXT NOT NULL, date TEXT, event TEXT, description TEXT,
            source_url TEXT, video_url TEXT, thumbnail_url TEXT, duration REAL, language TEXT, channel TEXT,
            tags TEXT, has_transcript INTEGER, segment_count INTEGER, published_at TEXT, updated_at TEXT)""",
        f"""SELECT id, title, date, event, description, source_url, video_url, thumbnail_url, duration,
            language, channel, tags, has_transcript, segment_count, published_at, updated_at
            FROM live.sessions WHERE id IN ({PUBLISHED})""",
    ),
    "speakers": (
        "CREATE TABLE speakers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, slug TEXT NOT NULL)",
        f"""SELECT id, name, slug FROM live.speakers WHERE id IN (
            SELECT speaker_id FROM live.session_speakers WHERE session_id IN ({PUBLISHED})
            UNION SELECT speaker_id FROM live.segments WHERE session_id IN ({PUBLISHED}))""",
    ),
    "session_speakers": (
        """CREATE TABLE session_speakers (
            session_id INTEGER NOT NULL REFERENCES sessions(id), speaker_id INTEGER NOT NULL REFERENCES
            speakers(id), role TEXT, position INTEGER, PRIMARY KEY (session_id, speaker_id))""",
        f"""SELECT session_id, speaker_id, role, position FROM live.session_speakers
            WHERE session_id IN ({PUBLISHED})""",
    ),
    "topics": (
        "CREATE TABLE topics (id INTEGER PRIMARY KEY, name TEXT NOT NULL, slug TEXT NOT NULL)",
        f"""SELECT id, name, slug FROM live.topics WHERE id IN (
            SELECT topic_id FROM live.session_topics WHERE session_id IN ({PUBLISHED}))""",
    ),
    "session_topics": (
        """CREATE TABLE session_topics (session_id INTEGER NOT NULL REFERENCES sessions(id),
            topic_id INTEGER NOT NULL REFERENCES topics(id), PRIMARY KEY (session_id, topic_id))""",
        f"SELECT session_id, topic_id FROM live.session_topics WHERE session_id IN ({PUBLISHED})",
    ),
    "tracks": (
        """CREATE TABLE tracks (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
            language TEXT, source TEXT, format TEXT, reviewed INTEGER, is_primary INTEGER)""",
        f"""SELECT id, session_id, language, source, format, reviewed, is_primary FROM live.tracks
            WHERE session_id IN ({PUBLISHED})""",
    ),
    "segments": (
        """CREATE TABLE segments (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
            track_id INTEGER REFERENCES tracks(id), position INTEGER, start REAL, end REAL,
            speaker_id INTEGER REFERENCES speakers(id), text TEXT NOT NULL)""",
        f"""SELECT id, session_id, track_id, position, start, end, speaker_id, text FROM live.segments
            WHERE session_id IN ({PUBLISHED})""",
    ),
    "chapters": (
        """CREATE TABLE chapters (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
            start REAL, end REAL, title TEXT)""",
        f"SELECT id, session_id, start, end, title FROM live.chapters WHERE session_id IN ({PUBLISHED})",
    ),
}

INDEXES = (
    "CREATE INDEX segments_session ON segments(session_id, position)",
    "CREATE INDEX segments_speaker ON segments(speaker_id)",
    "CREATE INDEX chapters_session ON chapters(session_id, start)",
    "CREATE INDEX session_speakers_speaker ON session_speakers(speaker_id)",
    "CREATE INDEX session_topics_topic ON session_topics(topic_id)",
)

# Double-quoted content= is what Datasette 0.65's FTS detection matches (single quotes are ignored).
FTS = (
    """CREATE VIRTUAL TABLE segments_fts USING fts5(text, content="segments", content_rowid="id",
        tokenize='porter unicode61 remove_diacritics 2')""",
    "INSERT INTO segments_fts(segments_fts) VALUES ('rebuild')",
    """CREATE VIRTUAL TABLE sessions_fts USING fts5(title, description, event, content="sessions",
        content_rowid="id", tokenize='porter unicode61 remove_diacritics 2')""",
    "INSERT INTO sessions_fts(sessions_fts) VALUES ('rebuild')",
)


def moments_view(base_url: str) -> str:
    """Every spoken line with who said it, in which session, and the link to its second on the site."""
    base = base_url.rstrip("/").replace("'", "''")
    return f"""CREATE VIEW moments AS
        SELECT segments.id AS segment_id, segments.text AS quote, speakers.name AS speaker,
            sessions.title AS session, sessions.date AS date, sessions.event AS event,
            segments.start AS start,
            printf('%d:%02d:%02d', CAST(segments.start AS INTEGER) / 3600,
                CAST(segments.start AS INTEGER) / 60 % 60, CAST(segments.start AS INTEGER) % 60) AS timecode,
            '{base}/sessions/' || segments.session_id || '?t=' || CAST(segments.start AS INTEGER)
                AS moment_url,
            segments.session_id AS session_id
        FROM segments JOIN sessions ON sessions.id = segments.session_id
        LEFT JOIN speakers ON speakers.id = segments.speaker_id
        ORDER BY sessions.date DESC, segments.session_id, segments.position"""


def session_pages_view(base_url: str) -> str:
    base = base_url.rstrip("/").replace("'", "''")
    return f"""CREATE VIEW session_pages AS
        SELECT sessions.id, sessions.title, sessions.date, sessions.event, sessions.duration,
            sessions.segment_count, '{base}/sessions/' || sessions.id AS page_url,
            (SELECT group_concat(speakers.name, '; ') FROM session_speakers
                JOIN speakers ON speakers.id = session_speakers.speaker_id
                WHERE session_speakers.session_id = sessions.id) AS speakers
        FROM sessions ORDER BY sessions.date DESC"""


INFO_TABLE = "CREATE TABLE export_info (key TEXT PRIMARY KEY, value TEXT)"


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    sessions: int
    segments: int
    size: int
    exported_at: str
    source_version: str


def export_public(catalog_path: str | Path, target: str | Path, *, base_url: str = "") -> ExportSummary:
    """Write the public copy of the catalog at ``catalog_path`` to ``target`` (replaced whole, atomically). A
    PostgreSQL catalog (a URL) is first copied to a private SQLite file in one snapshot (``pg_backup``)."""
    if is_url(catalog_path):
        return _export_from_postgresql(str(catalog_path), Path(target), base_url)
    catalog_path, target = Path(catalog_path), Path(target)
    if not catalog_path.is_file():
        raise CatalogError(f"{catalog_path}: no catalog here (is --data right?)")
    if target.resolve() == catalog_path.resolve():
        raise CatalogError(f"{target}: that is the live catalog; choose another file")
    if target.is_dir():
        raise CatalogError(f"{target}: is a folder; give a file name")
    if not target.parent.is_dir():
        raise CatalogError(f"{target.parent}: no such folder")
    # The version is read before the data: a change meanwhile makes the next export anew.
    version = file_version(catalog_path).token
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    exported_at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    try:
        counts = _build(catalog_path, partial, base_url, {"exported_at": exported_at, "source": version})
        os.replace(partial, target)
    except sqlite3.DatabaseError as exc:
        raise CatalogError(f"cannot export {catalog_path} to {target}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return ExportSummary(target, counts[0], counts[1], target.stat().st_size, exported_at, version)


def _export_from_postgresql(url: str, target: Path, base_url: str) -> ExportSummary:
    from catalog.facade import Catalog
    from catalog.ops.pg_backup import backup

    if target.is_dir():
        raise CatalogError(f"{target}: is a folder; give a file name")
    if not target.parent.is_dir():
        raise CatalogError(f"{target.parent}: no such folder")
    version = Catalog.version_at(url).token  # before the data, as for a file
    with tempfile.TemporaryDirectory(prefix="uscm-export-") as folder:
        snapshot = Path(folder) / "catalog.db"
        catalog = Catalog.open(url)
        try:
            backup(catalog.db.conn, snapshot)
        finally:
            catalog.close()
        partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
        partial.unlink(missing_ok=True)
        exported_at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        try:
            counts = _build(snapshot, partial, base_url, {"exported_at": exported_at, "source": version})
            os.replace(partial, target)
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"cannot export the catalog to {target}: {exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
    return ExportSummary(target, counts[0], counts[1], target.stat().st_size, exported_at, version)


def _build(catalog_path: Path, partial: Path, base_url: str, info: dict[str, str]) -> tuple[int, int]:
    conn = sqlite3.connect(str(partial), isolation_level=None, uri=True)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("ATTACH DATABASE ? AS live", (catalog_path.resolve().as_uri() + "?mode=ro",))
        conn.execute("BEGIN")  # one read snapshot of the live catalog for every table
        for create, select in TABLES.values():
            conn.execute(create)
            name = create.split()[2]
            conn.execute(f"INSERT INTO main.{name} {select}")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE live")
        conn.execute("BEGIN")
        for statement in (*INDEXES, *FTS, moments_view(base_url), session_pages_view(base_url), INFO_TABLE):
            conn.execute(statement)
        info = {**info, "base_url": base_url, "format": "uscm-archive public export 1"}
        conn.executemany("INSERT INTO export_info VALUES (?, ?)", sorted(info.items()))
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        segments = conn.execute("SELECT count(*) FROM segments").fetchone()[0]
    finally:
        conn.close()
    return sessions, segments


def export_info(path: str | Path) -> dict[str, str] | None:
    """The ``export_info`` of an export file, or ``None`` if there is none or it is not an export."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
        try:
            return dict(conn.execute("SELECT key, value FROM export_info").fetchall())
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None


def datasette_metadata(database: str, title: str, base_url: str = "") -> dict:
    """Datasette's ``metadata.json`` for an export: titles, descriptions, hidden internals, canned queries."""
    site = base_url.rstrip("/") or "the archive's site"
    hidden = {"hidden": True}
    return {
        "title": title,
        "description": f"Published sessions and every spoken line of {title}; each moment links to {site}.",
        "databases": {
            database: {
                "tables": {
                    "sessions": {
                        "description": "Published sessions, one row each.",
                        "sort_desc": "date",
                    },
                    "segments": {
                        "description": "Transcript lines: start and end in seconds. ?_search= searches the text.",
                    },
                    "speakers": {"description": "People credited on a session or speaking in one."},
                    "chapters": {"description": "Chapters of a session, start and end in seconds."},
                    "tracks": {"description": "Caption tracks: language and where the captions came from."},
                    "moments": {"description": "Every line with speaker, session, date and its link."},
                    "session_pages": {"description": "Sessions with their speakers and page link."},
                    "topics": {"description": "Topics sessions are filed under."},
                    "export_info": hidden,
                    "segments_fts": hidden,
                    "segments_fts_config": hidden,
                    "segments_fts_data": hidden,
                    "segments_fts_docsize": hidden,
                    "segments_fts_idx": hidden,
                    "sessions_fts": hidden,
                    "sessions_fts_config": hidden,
                    "sessions_fts_data": hidden,
                    "sessions_fts_docsize": hidden,
                    "sessions_fts_idx": hidden,
                    "sqlite_stat1": hidden,
                },
                "queries": {
                    "find_a_quote": {
                        "title": "Find a quote",
                        "description": 'Words, "an exact phrase", word* or OR; newest sessions first.',
                        "sql": FIND_A_QUOTE,
                    }
                },
            }
        },
    }


FIND_A_QUOTE = """SELECT moments.quote, moments.speaker, moments.session, moments.date, moments.timecode,
  moments.moment_url
FROM segments_fts JOIN moments ON moments.segment_id = segments_fts.rowid
WHERE segments_fts MATCH :words
ORDER BY moments.date DESC, moments.session_id, moments.start
LIMIT 100"""


def metadata_path(export: str | Path) -> Path:
    """Where the metadata of an export goes: ``archive.db`` → ``archive.metadata.json`` beside it."""
    export = Path(export)
    return export.with_name(f"{export.stem}.metadata.json")


def write_metadata(export: str | Path, title: str, base_url: str = "") -> Path:
    """Write Datasette's metadata for the export file ``export`` beside it (database name: the file's stem)."""
    path = metadata_path(export)
    metadata = datasette_metadata(Path(export).stem, title, base_url)
    path.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return path
