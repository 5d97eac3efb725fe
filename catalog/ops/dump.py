"""The whole archive as plain files: ``dump_archive`` writes them; ``catalog/ops/load.py`` reads them back.

A dump folder holds::

    manifest.json      format, dump version, schema version, when, counts
    sessions.jsonl     one session a line: every column, plus its speakers (with roles), topics, tracks, chapters
    segments.jsonl     one segment a line: session id, track language, times, speaker name, text, marks, versions
    speakers.jsonl     every speaker (also those with no session yet), with merges
    topics.jsonl       every topic
    audit.jsonl        the audit trail
    captions/...       the raw caption files as received (paths as in the tracks' ``raw_path``)
    media/...          archived media, only when asked for

Staff accounts, API tokens and the ingest queue are not part of a dump (a ``backup`` keeps them). Loading into an
empty archive keeps every id, so links to sessions and moments stay valid; ``merge`` adds only sessions whose
``source_key`` is new, with fresh ids. The catalog part of a load is one transaction: a bad line anywhere leaves
the catalog unchanged. Files are copied in first, each under a temporary name, verified and renamed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from catalog.errors import CatalogError
from catalog.folder import FILE_AREAS, DataFolder
from catalog.ops.file_copy import verified_copy
from catalog.search.pg_schema import GENERATED_COLUMNS
from catalog.store.db import utcnow
from catalog.store.schema import SCHEMA_VERSION

DUMP_FORMAT = "uscm-archive-dump"
DUMP_VERSION = 1
FILE_FOLDERS = FILE_AREAS  # captions, media


@dataclass(frozen=True)
class DumpCounts:
    sessions: int = 0
    segments: int = 0
    speakers: int = 0
    topics: int = 0
    files: int = 0
    skipped: tuple[str, ...] = field(default_factory=tuple)  # source keys already present (merge)
    already_loaded: bool = (
        False  # the archive held this dump already (an earlier load was cut short after it)
    )


# -- dump ------------------------------------------------------------------------------------------------------
Progress = Callable[[int, int], None] | None  # (done, total) of the segments, the bulk of a dump or load


def counted(lines: Iterator, total: int, progress: Progress, every: int = 1000) -> Iterator:
    """``lines`` unchanged, calling ``progress(done, total)`` every ``every`` lines and at the end."""
    done = 0
    for line in lines:
        yield line
        done += 1
        if progress is not None and done % every == 0:
            progress(done, total)
    if progress is not None:
        progress(done, total)


def dump_archive(
    conn: sqlite3.Connection, data_dir: Path, out_dir: Path, *, media: bool = False, progress: Progress = None
) -> DumpCounts:
    """Write the archive behind ``conn`` (data folder ``data_dir``) into the new or empty folder ``out_dir``."""
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise CatalogError(f"{out_dir}: exists and is not an empty folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    conn.execute("BEGIN")  # one read snapshot for every file
    try:
        counts = {
            "speakers": _write_jsonl(out_dir / "speakers.jsonl", _speaker_lines(conn)),
            "topics": _write_jsonl(
                out_dir / "topics.jsonl", _rows(conn, "SELECT id, name, slug FROM topics")
            ),
            "sessions": _write_jsonl(out_dir / "sessions.jsonl", _session_lines(conn)),
            "segments": _write_jsonl(
                out_dir / "segments.jsonl",
                counted(
                    _segment_lines(conn),
                    conn.execute("SELECT count(*) FROM segments").fetchone()[0],
                    progress,
                ),
            ),
            "track_segments": _write_jsonl(out_dir / "track_segments.jsonl", _track_segment_lines(conn)),
            "audit": _write_jsonl(out_dir / "audit.jsonl", _rows(conn, "SELECT * FROM audit ORDER BY id")),
            "event_redirects": _write_jsonl(
                out_dir / "event_redirects.jsonl",
                _rows(conn, "SELECT slug, name, into_name, at FROM event_redirects ORDER BY slug"),
            ),
        }
    finally:
        conn.execute("COMMIT")
    folder = DataFolder(data_dir)
    files = sum(copy_tree(folder.area(name), out_dir / name, []) for name in _folders(media))
    manifest = {
        "format": DUMP_FORMAT,
        "dump_version": DUMP_VERSION,
        "schema_version": SCHEMA_VERSION,
        "created_at": utcnow(),
        "counts": {**counts, "files": files},
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return DumpCounts(counts["sessions"], counts["segments"], counts["speakers"], counts["topics"], files)


def _folders(media: bool) -> tuple[str, ...]:
    return FILE_FOLDERS if media else FILE_FOLDERS[:1]


def _rows(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> Iterator[dict]:
    """Each row as a dict, without the columns a PostgreSQL catalog's search generates (not data: a dump is the
    same from either backend)."""
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    for row in cursor:
        yield {k: v for k, v in zip(names, row, strict=True) if k not in GENERATED_COLUMNS}


def _write_jsonl(path: Path, lines: Iterator[dict]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
    return count


def _speaker_lines(conn: sqlite3.Connection) -> Iterator[dict]:
    sql = """SELECT s.id, s.name, s.slug, m.name AS merged_into
             FROM speakers s LEFT JOIN speakers m ON m.id = s.merged_into ORDER BY s.id"""
    yield from _rows(conn, sql)


def _session_lines(conn: sqlite3.Connection) -> Iterator[dict]:
    for session in _rows(conn, "SELECT * FROM sessions ORDER BY id"):
        sid = session["id"]
        session["tags"] = json.loads(session["tags"] or "[]")
        session["extra"] = json.loads(session["extra"] or "{}")
        session["speakers"] = list(
            _rows(
                conn,
                """SELECT p.name, ss.role, ss.position FROM session_speakers ss
                   JOIN speakers p ON p.id = ss.speaker_id WHERE ss.session_id = ? ORDER BY ss.position, p.id""",
                (sid,),
            )
        )
        session["topics"] = [
            row[0]
            for row in conn.execute(
                "SELECT t.name FROM session_topics st JOIN topics t ON t.id = st.topic_id"
                " WHERE st.session_id = ? ORDER BY t.id",
                (sid,),
            )
        ]
        session["tracks"] = list(_rows(conn, "SELECT * FROM tracks WHERE session_id = ? ORDER BY id", (sid,)))
        session["chapters"] = list(
            _rows(
                conn,
                "SELECT id, start, end, title FROM chapters WHERE session_id = ? ORDER BY start, id",
                (sid,),
            )
        )
        _webinar_extras(conn, session, sid)
        yield session


def _track_segment_lines(conn: sqlite3.Connection) -> Iterator[dict]:
    """The other languages' tracks' segments (``track_segments``), each naming its track by language."""
    sql = """SELECT g.id, g.session_id, t.language AS track, g.position, g.start, g.end, g.text, g.marks
             FROM track_segments g JOIN tracks t ON t.id = g.track_id ORDER BY g.session_id, g.track_id, g.position"""
    versions_sql = """SELECT text, changed_by, changed_at FROM track_segment_versions WHERE segment_id = ?
                      ORDER BY id"""
    edited = _edited(conn, "track_segment_versions")
    for segment in _rows(conn, sql):
        segment["marks"] = json.loads(segment["marks"] or "[]")
        segment["versions"] = (
            list(_rows(conn, versions_sql, (segment["id"],))) if segment["id"] in edited else []
        )
        yield segment


def _edited(conn: sqlite3.Connection, versions_table: str) -> set[int]:
    """The segments that have earlier versions: only they need a lookup (few are corrected; one query each for
    every segment was most of a dump's time, a round trip each on PostgreSQL)."""
    return {row[0] for row in conn.execute(f"SELECT DISTINCT segment_id FROM {versions_table}")}


def _webinar_extras(conn: sqlite3.Connection, session: dict, sid: int) -> None:
    """A webinar's chat, links and slides, when it has them (catalog/store/extras.py)."""
    chat = list(
        _rows(
            conn,
            "SELECT start, sender, text FROM session_chat WHERE session_id = ? ORDER BY position",
            (sid,),
        )
    )
    links = list(
        _rows(
            conn, "SELECT title, url, start FROM session_links WHERE session_id = ? ORDER BY position", (sid,)
        )
    )
    slides = conn.execute("SELECT pdf_url, pages FROM session_slides WHERE session_id = ?", (sid,)).fetchone()
    if chat:
        session["chat"] = chat
    if links:
        session["links"] = links
    if slides:
        session["slides"] = {"pdf_url": slides[0], "pages": json.loads(slides[1])}


def _segment_lines(conn: sqlite3.Connection) -> Iterator[dict]:
    sql = """SELECT g.id, g.session_id, t.language AS track, g.position, g.start, g.end, p.name AS speaker,
                    g.text, g.marks, g.confidence
             FROM segments g LEFT JOIN tracks t ON t.id = g.track_id LEFT JOIN speakers p ON p.id = g.speaker_id
             ORDER BY g.session_id, g.track_id, g.position, g.id"""
    versions_sql = """SELECT v.text, p.name AS speaker, v.changed_by, v.changed_at FROM segment_versions v
                      LEFT JOIN speakers p ON p.id = v.speaker_id WHERE v.segment_id = ? ORDER BY v.id"""
    edited = _edited(conn, "segment_versions")
    for segment in _rows(conn, sql):
        segment["marks"] = json.loads(segment["marks"] or "[]")
        confidence = segment.pop("confidence")
        if confidence is not None:  # automatic transcripts: per word (char offset, char end, probability)
            segment["confidence"] = json.loads(confidence)
        segment["versions"] = (
            list(_rows(conn, versions_sql, (segment["id"],))) if segment["id"] in edited else []
        )
        yield segment


def copy_tree(source: Path, target: Path, created: list[Path], placed: list | None = None) -> int:
    """Copy the files under ``source`` to ``target``, each verified (``catalog/ops/file_copy.py``); a file already there
    is kept if identical and an error if not. New files are added to ``created``; every file's
    (``<target name>/<relative path>``, size, sha256) to ``placed``."""
    if not source.is_dir():
        return 0
    count = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.name.endswith(".partial"):
            continue
        relative = path.relative_to(source)
        written, size, sha256 = verified_copy(path, target / relative)
        if written:
            created.append(target / relative)
            count += 1
        if placed is not None:
            placed.append((f"{target.name}/{relative.as_posix()}", size, sha256))
    return count


# -- reading a dump -----------------------------------------------------------------------------------------
def read_manifest(in_dir: Path) -> dict:
    path = in_dir / "manifest.json"
    if not path.is_file():
        raise CatalogError(f"{in_dir}: not a uscm-archive dump (no manifest.json)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != DUMP_FORMAT:
        raise CatalogError(f"{path}: not a uscm-archive dump manifest")
    if manifest.get("dump_version") != DUMP_VERSION:
        raise CatalogError(
            f"{path}: dump version {manifest.get('dump_version')!r} is not one this program reads"
        )
    schema = manifest.get("schema_version")
    if not isinstance(schema, int) or schema > SCHEMA_VERSION:
        raise CatalogError(
            f"{path}: made by a newer program (schema {schema!r}; this one knows {SCHEMA_VERSION})"
        )
    return manifest


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; a broken line is a ``CatalogError`` naming file and line."""
    if not path.is_file():
        raise CatalogError(f"{path}: missing from the dump")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CatalogError(f"{path}, line {number}: not a valid JSON line ({exc})") from exc
            if not isinstance(value, dict):
                raise CatalogError(f"{path}, line {number}: expected a JSON object")
            yield number, value
