"""Loading a dump folder (see ``catalog/ops/dump.py`` for its layout) into an archive.

The catalog part is one transaction (all or nothing). Files are copied in before it, each verified and renamed
into place (``catalog/ops/file_copy.py``), and recorded with their size and sha256 in the same transaction, so that
``check`` can verify them later. A load killed part-way leaves whole files and an unchanged catalog: running it
again keeps the files that are already right, copies the rest and loads the catalog; a load killed after its
commit finds the archive holding the dump and only completes and verifies the files.

Into an empty archive every id is kept, so links to sessions and moments stay valid; ``merge`` adds only sessions
whose ``source_key`` is new, with fresh ids, and moves their files to the new ids' folders.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path, PurePosixPath

import sqlite_utils

from catalog.errors import CatalogError
from catalog.files import FileStore, LocalFiles
from catalog.folder import CAPTIONS, MEDIA, DataFolder
from catalog.ops.backup import session_count_problems
from catalog.ops.data_files import record_files
from catalog.ops.dump import (
    FILE_FOLDERS,
    DumpCounts,
    Progress,
    counted,
    read_jsonl,
    read_manifest,
)
from catalog.ops.schema_check import schema_problems
from catalog.ops.store_copy import copy_in, put_verified, remove_created
from catalog.store import cuts, impact, pairs
from catalog.store.db import dialect
from catalog.store.extras import SessionLink, SlideDeck, replace_chat, replace_links, replace_slides
from catalog.store.names import free_slug, slugify
from catalog.store.windows import index_windows
from transcripts import ChatMessage


def load_archive(
    conn: sqlite3.Connection,
    data_dir: Path,
    in_dir: Path,
    *,
    merge: bool = False,
    progress: Progress = None,
    files: FileStore | None = None,
) -> DumpCounts:
    """Read the dump folder ``in_dir`` into the archive behind ``conn``; all or nothing.

    Refuses a non-empty archive unless ``merge``. Files (captions, media) are copied in before the catalog
    changes, never over existing ones, and removed again if the catalog part fails. When merging, a session
    gets a new id, so its files move to that id's folders (``captions/<id>/``, ``media/<id>/``).
    """
    in_dir, data_dir = Path(in_dir), Path(data_dir)
    store = files if files is not None else LocalFiles(DataFolder(data_dir))
    manifest = read_manifest(in_dir)
    foreign = schema_problems(conn)
    if foreign:
        raise CatalogError(f"the archive's catalog is not a schema this program made: {foreign[0]}")
    has_sessions = conn.execute("SELECT EXISTS (SELECT 1 FROM sessions)").fetchone()[0]
    if has_sessions and not merge:
        if _holds_this_dump(conn, in_dir):
            return _complete_files(conn, store, in_dir)
        raise CatalogError("the archive is not empty: load into an empty data folder, or pass --merge")
    created: list[str] = []
    placed: list[tuple[str, int, str]] = []
    try:
        count = (
            0 if merge else sum(copy_in(in_dir / name, store, name, created, placed) for name in FILE_FOLDERS)
        )
        conn.execute("BEGIN IMMEDIATE")
        try:
            loader = _Loader(conn, in_dir, keep_ids=not merge, files=store, created=created)
            loader.progress = progress
            loader.expected = _expected_segments(manifest)
            counts = loader.run()
            record_files(conn, _captions(placed + loader.placed))
            count += loader.files
            # the phrase index and the impact lists take in the loaded segments (``db.transaction`` elsewhere)
            impact.flush(conn, pairs.flush(conn))
            cuts.flush(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except BaseException:
        remove_created(store, created)
        raise
    return DumpCounts(
        counts["sessions"], counts["segments"], counts["speakers"], counts["topics"], count, counts["skipped"]
    )


def _captions(placed: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """The caption files among ``placed``: media have their size and hash in ``sessions`` already."""
    return [entry for entry in placed if entry[0].startswith(f"{CAPTIONS}/")]


def _holds_this_dump(conn: sqlite3.Connection, in_dir: Path) -> bool:
    """Whether the archive's sessions are exactly the dump's (same ids and sources): an earlier load of it."""
    wanted = {(line.get("id"), line.get("source_key")) for _, line in read_jsonl(in_dir / "sessions.jsonl")}
    held = set(conn.execute("SELECT id, source_key FROM sessions").fetchall())
    return bool(wanted) and held == wanted


def _complete_files(conn: sqlite3.Connection, store: FileStore, in_dir: Path) -> DumpCounts:
    """Place the dump's files that are missing (each verified), and note them all; an altered one is an error."""
    placed: list[tuple[str, int, str]] = []
    files = sum(copy_in(in_dir / name, store, name, [], placed) for name in FILE_FOLDERS)
    conn.execute("BEGIN IMMEDIATE")
    try:
        record_files(conn, _captions(placed))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return DumpCounts(files=files, already_loaded=True)


class _Loader:
    """One load, inside the caller's transaction: maps the dump's ids to the archive's."""

    def __init__(
        self, conn: sqlite3.Connection, in_dir: Path, *, keep_ids: bool, files: FileStore, created: list
    ):
        self.conn, self.in_dir, self.keep_ids = conn, in_dir, keep_ids
        self.store, self.created, self.files = files, created, 0
        self.placed: list[tuple[str, int, str]] = []  # (path, size, sha256) of files brought in (merge)
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
            if (
                self.in_dir / "track_segments.jsonl"
            ).exists():  # dumps made before other tracks were stored lack it
                self._each("track_segments.jsonl", self._track_segment)
            for session_id in self.sessions.values():
                index_windows(self.conn, session_id)
            self._each("audit.jsonl", self._audit)
            if (
                self.in_dir / "event_redirects.jsonl"
            ).is_file():  # dumps made before events were merged lack it
                self._each("event_redirects.jsonl", self._event_redirect)
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

    progress: Progress = None
    expected = 0

    def _each(self, name: str, handle) -> int:
        count = 0
        lines = read_jsonl(self.in_dir / name)
        if name == "segments.jsonl":
            lines = counted(lines, self.expected, self.progress)
        for number, line in lines:
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
        return free_slug(self.conn, table, _text(line["slug"], "slug"))

    def _speaker_id(self, name: str) -> int:
        key = _text(name, "speaker").casefold()
        if key not in self.speakers:
            self.speakers[key] = self._lookup("speakers", name) or self._insert(
                "speakers",
                {"name": name, "slug": self._free_slug("speakers", {"slug": slugify(name)})},
                None,
            )
        return self.speakers[key]

    def _topic_id(self, name: str) -> int:
        key = _text(name, "topic").casefold()
        if key not in self.topics:
            self.topics[key] = self._lookup("topics", name) or self._insert(
                "topics", {"name": name, "slug": self._free_slug("topics", {"slug": slugify(name)})}, None
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
            moved = self._bring_file(values["media_path"], MEDIA, session_id)
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
                values["raw_path"] = self._bring_file(values["raw_path"], CAPTIONS, session_id)
            track_id = self._insert("tracks", {"session_id": session_id, **values}, track.get("id"))
            self.tracks[(dump_id, _text(track["language"], "language"))] = track_id
        for chapter in line.get("chapters") or []:
            values = {"session_id": session_id, "start": chapter["start"], "end": chapter.get("end")}
            self._insert("chapters", {**values, "title": _text(chapter["title"], "title")}, chapter.get("id"))
        self._webinar_extras(line, session_id)

    def _webinar_extras(self, line: dict, session_id: int) -> None:
        """A webinar's chat, links and slides (dumps made before them have none)."""
        chat = [
            ChatMessage(float(m["start"]), _text(m["sender"], "sender"), _text(m["text"], "text"))
            for m in line.get("chat") or []
        ]
        replace_chat(self.conn, session_id, chat)
        links = [
            SessionLink(_text(k["title"], "title"), _text(k["url"], "url"), k.get("start"))
            for k in line.get("links") or []
        ]
        replace_links(self.conn, session_id, links)
        slides = line.get("slides")
        if slides:
            pages = tuple((int(page), float(start)) for page, start in slides.get("pages") or [])
            replace_slides(self.conn, session_id, SlideDeck(_text(slides["pdf_url"], "pdf_url"), pages))

    def _bring_file(self, relpath: str, folder: str, session_id: int) -> str | None:
        """Copy a session's file from the dump into ``<folder>/<session id>/``; its new relative path."""
        source = self.in_dir / relpath
        if not source.is_file():
            return None  # the dump was made without it (media are optional)
        name = PurePosixPath(relpath).name
        target = DataFolder.session_relpath(folder, session_id, name)
        if self.store.exists(target):
            raise CatalogError(f"{target}: already in {self.store.description}, a file of no session")
        _, size, sha256 = put_verified(self.store, source, target, self.created)
        self.placed.append((target, size, sha256))
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
            "confidence": _compact([[int(a), int(b), float(p)] for a, b, p in line["confidence"]])
            if line.get("confidence")
            else None,
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

    def _track_segment(self, line: dict) -> int:
        """A segment of another language's track (``track_segments``), its track named by language."""
        dump_session = _integer(line["session_id"], "session_id")
        if dump_session not in self.sessions:
            return 0
        track_id = self.tracks.get((dump_session, _text(line["track"], "track")))
        if track_id is None:
            raise CatalogError(f"{self.where}: no {line['track']!r} track in that session in sessions.jsonl")
        values = {
            "session_id": self.sessions[dump_session],
            "track_id": track_id,
            "position": _integer(line["position"], "position"),
            "start": float(line["start"]),
            "end": float(line["end"]),
            "text": _text(line["text"], "text", allow_empty=True),
            "marks": _compact([[int(offset), float(time)] for offset, time in line.get("marks") or []]),
        }
        segment_id = self._insert("track_segments", values, line.get("id"))
        for version in line.get("versions") or []:
            self.conn.execute(
                "INSERT INTO track_segment_versions (segment_id, text, changed_by, changed_at) VALUES (?, ?, ?, ?)",
                (segment_id, version["text"], version.get("changed_by"), version["changed_at"]),
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

    def _event_redirect(self, line: dict) -> None:
        """An event renamed or merged away keeps leading to its new name; one the archive has already stays."""
        values = [_text(line[k], k) for k in ("slug", "name", "into_name", "at")]
        self.conn.execute(
            "INSERT OR IGNORE INTO event_redirects (slug, name, into_name, at) VALUES (?, ?, ?, ?)", values
        )


def _expected_segments(manifest: dict) -> int:
    """The manifest's segment count, for progress only (the lines themselves are what is loaded)."""
    count = (
        (manifest.get("counts") or {}).get("segments") if isinstance(manifest.get("counts"), dict) else None
    )
    return count if isinstance(count, int) and count >= 0 else 0


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    if dialect(conn) == "postgresql":
        return conn.columns(table)
    return list(sqlite_utils.Database(conn)[table].columns_dict)


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


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
