"""The whole archive as plain files, and back: ``dump_archive`` and ``load_archive``.

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
``source_key`` is new, with fresh ids. A load is one transaction: a bad line anywhere leaves the archive unchanged.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from catalog.db import utcnow
from catalog.errors import CatalogError
from catalog.ops import session_count_problems
from catalog.schema import SCHEMA_VERSION

DUMP_FORMAT = "uscm-archive-dump"
DUMP_VERSION = 1
FILE_FOLDERS = ("captions", "media")


@dataclass(frozen=True)
class DumpCounts:
    sessions: int = 0
    segments: int = 0
    speakers: int = 0
    topics: int = 0
    files: int = 0
    skipped: tuple[str, ...] = field(default_factory=tuple)  # source keys already present (merge)


# -- dump ------------------------------------------------------------------------------------------------------
def dump_archive(
    conn: sqlite3.Connection, data_dir: Path, out_dir: Path, *, media: bool = False
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
            "segments": _write_jsonl(out_dir / "segments.jsonl", _segment_lines(conn)),
            "audit": _write_jsonl(out_dir / "audit.jsonl", _rows(conn, "SELECT * FROM audit ORDER BY id")),
        }
    finally:
        conn.execute("COMMIT")
    files = sum(_copy_tree(Path(data_dir) / name, out_dir / name, []) for name in _folders(media))
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
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


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
        yield session


def _segment_lines(conn: sqlite3.Connection) -> Iterator[dict]:
    sql = """SELECT g.id, g.session_id, t.language AS track, g.position, g.start, g.end, p.name AS speaker,
                    g.text, g.marks
             FROM segments g LEFT JOIN tracks t ON t.id = g.track_id LEFT JOIN speakers p ON p.id = g.speaker_id
             ORDER BY g.session_id, g.track_id, g.position, g.id"""
    versions_sql = """SELECT v.text, p.name AS speaker, v.changed_by, v.changed_at FROM segment_versions v
                      LEFT JOIN speakers p ON p.id = v.speaker_id WHERE v.segment_id = ? ORDER BY v.id"""
    for segment in _rows(conn, sql):
        segment["marks"] = json.loads(segment["marks"] or "[]")
        segment["versions"] = list(_rows(conn, versions_sql, (segment["id"],)))
        yield segment


def _copy_tree(source: Path, target: Path, created: list[Path]) -> int:
    """Copy the files under ``source`` to ``target``, never overwriting; new files are added to ``created``."""
    if not source.is_dir():
        return 0
    count = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        destination = target / path.relative_to(source)
        if destination.exists():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        created.append(destination)
        count += 1
    return count


# -- load ------------------------------------------------------------------------------------------------------
def load_archive(
    conn: sqlite3.Connection, data_dir: Path, in_dir: Path, *, merge: bool = False
) -> DumpCounts:
    """Read the dump folder ``in_dir`` into the archive behind ``conn``; all or nothing.

    Refuses a non-empty archive unless ``merge``. Files (captions, media) are copied in before the catalog
    changes, never over existing ones, and removed again if the catalog part fails. When merging, a session
    gets a new id, so its files move to that id's folders (``captions/<id>/``, ``media/<id>/``).
    """
    in_dir, data_dir = Path(in_dir), Path(data_dir)
    _read_manifest(in_dir)
    has_sessions = conn.execute("SELECT EXISTS (SELECT 1 FROM sessions)").fetchone()[0]
    if has_sessions and not merge:
        raise CatalogError("the archive is not empty: load into an empty data folder, or pass --merge")
    created: list[Path] = []
    try:
        files = (
            0 if merge else sum(_copy_tree(in_dir / name, data_dir / name, created) for name in FILE_FOLDERS)
        )
        conn.execute("BEGIN IMMEDIATE")
        try:
            loader = _Loader(conn, in_dir, keep_ids=not merge, data_dir=data_dir, created=created)
            counts = loader.run()
            files += loader.files
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return DumpCounts(
        counts["sessions"], counts["segments"], counts["speakers"], counts["topics"], files, counts["skipped"]
    )


def _read_manifest(in_dir: Path) -> dict:
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


class _Loader:
    """One load, inside the caller's transaction: maps the dump's ids to the archive's."""

    def __init__(
        self, conn: sqlite3.Connection, in_dir: Path, *, keep_ids: bool, data_dir: Path, created: list
    ):
        self.conn, self.in_dir, self.keep_ids = conn, in_dir, keep_ids
        self.data_dir, self.created, self.files = data_dir, created, 0
        self.speakers: dict[str, int] = {}  # lower-cased name -> id
        self.topics: dict[str, int] = {}
        self.sessions: dict[int, int] = {}  # dump id -> archive id (loaded sessions only)
        self.tracks: dict[tuple[int, str], int] = {}  # (dump session id, language) -> archive id
        self.segments: dict[int, int] = {}
        self.skipped: list[str] = []
        self.where = ""

    def run(self) -> dict:
        try:
            speakers = self._each("speakers.jsonl", self._speaker)
            self._each("speakers.jsonl", self._speaker_merge)
            topics = self._each("topics.jsonl", self._topic)
            self._each("sessions.jsonl", self._session)
            segments = self._each("segments.jsonl", self._segment)
            self._each("audit.jsonl", self._audit)
            self.where = str(self.in_dir / "segments.jsonl")
            problems = session_count_problems(self.conn, self.sessions.values())
            if problems:
                raise CatalogError(f"{self.where}: does not match sessions.jsonl: {problems[0]}")
        except sqlite3.Error as exc:
            raise CatalogError(f"{self.where}: refused by the catalog: {exc}") from exc
        except KeyError as exc:
            raise CatalogError(f"{self.where}: missing field {exc}") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise CatalogError(f"{self.where}: malformed field: {exc}") from exc
        return {
            "sessions": len(self.sessions),
            "segments": segments,
            "speakers": speakers,
            "topics": topics,
            "skipped": tuple(self.skipped),
        }

    def _each(self, name: str, handle) -> int:
        count = 0
        for number, line in read_jsonl(self.in_dir / name):
            self.where = f"{self.in_dir / name}, line {number}"
            count += handle(line) or 0
        return count

    def _insert(self, table: str, values: dict, dump_id: int | None) -> int:
        if self.keep_ids and dump_id is not None:
            values = {"id": _integer(dump_id, "id"), **values}
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        return self.conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values())
        ).lastrowid

    def _lookup(self, table: str, name: str) -> int | None:
        row = self.conn.execute(f"SELECT id FROM {table} WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def _speaker(self, line: dict) -> int:
        name = _text(line["name"], "name")
        found = self._lookup("speakers", name)
        if found is None:
            found = self._insert(
                "speakers", {"name": name, "slug": self._free_slug("speakers", line)}, line.get("id")
            )
        self.speakers[name.casefold()] = found
        return 1

    def _speaker_merge(self, line: dict) -> None:
        target = line.get("merged_into")
        if target:
            self.conn.execute(
                "UPDATE speakers SET merged_into = ? WHERE id = ?",
                (self._speaker_id(target), self.speakers[_text(line["name"], "name").casefold()]),
            )

    def _topic(self, line: dict) -> int:
        name = _text(line["name"], "name")
        found = self._lookup("topics", name)
        if found is None:
            found = self._insert(
                "topics", {"name": name, "slug": self._free_slug("topics", line)}, line.get("id")
            )
        self.topics[name.casefold()] = found
        return 1

    def _free_slug(self, table: str, line: dict) -> str:
        slug = _text(line["slug"], "slug")
        candidate, n = slug, 1
        while self.conn.execute(f"SELECT 1 FROM {table} WHERE slug = ?", (candidate,)).fetchone():
            n += 1
            candidate = f"{slug}-{n}"
        return candidate

    def _speaker_id(self, name: str) -> int:
        key = _text(name, "speaker").casefold()
        if key not in self.speakers:
            self.speakers[key] = self._lookup("speakers", name) or self._insert(
                "speakers",
                {"name": name, "slug": self._free_slug("speakers", {"slug": _slugify(name)})},
                None,
            )
        return self.speakers[key]

    def _topic_id(self, name: str) -> int:
        key = _text(name, "topic").casefold()
        if key not in self.topics:
            self.topics[key] = self._lookup("topics", name) or self._insert(
                "topics", {"name": name, "slug": self._free_slug("topics", {"slug": _slugify(name)})}, None
            )
        return self.topics[key]

    def _session(self, line: dict) -> None:
        dump_id = _integer(line["id"], "id")
        key = _text(line["source_key"], "source_key")
        if self.conn.execute("SELECT 1 FROM sessions WHERE source_key = ?", (key,)).fetchone():
            self.skipped.append(key)
            return
        values = {
            name: line.get(name) for name in _columns(self.conn, "sessions") if name != "id" and name in line
        }
        values["tags"] = json.dumps(line.get("tags") or [])  # as catalog/sessions.py writes them
        values["extra"] = json.dumps(line.get("extra") or {})
        values["media_path"] = _relative_path(line.get("media_path"), "media_path")
        session_id = self._insert("sessions", values, dump_id)
        self.sessions[dump_id] = session_id
        if values["media_path"] and not self.keep_ids:
            moved = self._bring_file(values["media_path"], "media", session_id)
            self.conn.execute("UPDATE sessions SET media_path = ? WHERE id = ?", (moved, session_id))
        self._session_parts(line, dump_id, session_id)

    def _session_parts(self, line: dict, dump_id: int, session_id: int) -> None:
        for position, credit in enumerate(line.get("speakers") or []):
            self.conn.execute(
                "INSERT INTO session_speakers (session_id, speaker_id, role, position) VALUES (?, ?, ?, ?)",
                (
                    session_id,
                    self._speaker_id(credit["name"]),
                    credit.get("role"),
                    credit.get("position", position),
                ),
            )
        for topic in line.get("topics") or []:
            self.conn.execute(
                "INSERT OR IGNORE INTO session_topics (session_id, topic_id) VALUES (?, ?)",
                (session_id, self._topic_id(topic)),
            )
        for track in line.get("tracks") or []:
            values = {k: track.get(k) for k in _columns(self.conn, "tracks") if k not in ("id", "session_id")}
            values["raw_path"] = _relative_path(track.get("raw_path"))
            if values["raw_path"] and not self.keep_ids:
                values["raw_path"] = self._bring_file(values["raw_path"], "captions", session_id)
            track_id = self._insert("tracks", {"session_id": session_id, **values}, track.get("id"))
            self.tracks[(dump_id, _text(track["language"], "language"))] = track_id
        for chapter in line.get("chapters") or []:
            values = {"session_id": session_id, "start": chapter["start"], "end": chapter.get("end")}
            self._insert("chapters", {**values, "title": _text(chapter["title"], "title")}, chapter.get("id"))

    def _bring_file(self, relpath: str, folder: str, session_id: int) -> str | None:
        """Copy a session's file from the dump into ``<folder>/<session id>/``; its new relative path."""
        source = self.in_dir / relpath
        if not source.is_file():
            return None  # the dump was made without it (media are optional)
        name = PurePosixPath(relpath).name
        target = f"{folder}/{session_id}/{name}"
        destination = self.data_dir / target
        if destination.exists():
            raise CatalogError(f"{destination}: already exists; the data folder holds files of no session")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
        self.created.append(destination)
        self.files += 1
        return target

    def _segment(self, line: dict) -> int:
        dump_session = _integer(line["session_id"], "session_id")
        if dump_session not in self.sessions:
            return 0  # its session was skipped (merge) — or never dumped, which the next check reports
        values = {
            "session_id": self.sessions[dump_session],
            "track_id": self.tracks.get((dump_session, line.get("track"))) if line.get("track") else None,
            "position": _integer(line["position"], "position"),
            "start": float(line["start"]),
            "end": float(line["end"]),
            "speaker_id": self._speaker_id(line["speaker"]) if line.get("speaker") else None,
            "text": _text(line["text"], "text", allow_empty=True),
            "marks": _compact([[int(offset), float(time)] for offset, time in line.get("marks") or []]),
        }
        segment_id = self._insert("segments", values, line.get("id"))
        for version in line.get("versions") or []:
            speaker = self._speaker_id(version["speaker"]) if version.get("speaker") else None
            self.conn.execute(
                "INSERT INTO segment_versions (segment_id, text, speaker_id, changed_by, changed_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (segment_id, version["text"], speaker, version.get("changed_by"), version["changed_at"]),
            )
        return 1

    def _audit(self, line: dict) -> None:
        values = {k: line.get(k) for k in ("at", "user_name", "session_id", "action", "detail")}
        session = values["session_id"]
        if not self.keep_ids and session is not None:
            if session not in self.sessions:
                return  # about a session that was already in the archive (merge): its own trail stays
            values["session_id"] = self.sessions[session]
        self._insert("audit", values, line.get("id"))


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _text(value, name: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise ValueError(f"{name} must be a non-empty string")
    return value


def _integer(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer")
    return value


def _relative_path(value, name: str = "raw_path") -> str | None:
    """A file path from a dump: relative, inside the data folder, no ``..``."""
    if value is None:
        return None
    path = PurePosixPath(_text(value, name))
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        raise ValueError(f"{name} {value!r} must stay inside the data folder")
    return str(path)


def _slugify(name: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.casefold())
    return "-".join(part for part in slug.split("-") if part) or "x"


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
