"""Keeping the catalog safe: online backup, validated restore, integrity checks, and a full dump/load.

* ``backup`` copies the live catalog with SQLite's online backup API: safe while the site serves and ingests.
* ``restore`` refuses anything that is not a sound uscm-archive catalog of a known schema version; it keeps the
  current catalog as ``catalog.db.bak-<UTC timestamp>`` and copies the new one in through the same backup API, so
  that running readers see either the old or the new archive, never a mix.
* ``check`` runs ``PRAGMA integrity_check``, the foreign-key check, an FTS5 index-versus-content comparison and the
  per-session counts.
* ``dump`` writes the whole archive as JSON Lines plus the raw caption files; ``load`` reads such a folder back into
  an empty archive (or merges it), so that search answers the same afterwards: ``catalog/ops/dump.py``, ``catalog/ops/load.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from catalog.errors import CatalogError
from catalog.ops.schema_check import schema_problems
from catalog.store import cuts, pairs, prefix_lists
from catalog.store.db import migrate
from catalog.store.schema import SCHEMA_VERSION

SQLITE_MAGIC = b"SQLite format 3\x00"
REQUIRED_TABLES = (
    "sessions",
    "speakers",
    "topics",
    "tracks",
    "segments",
    "chapters",
    "segments_fts",
    "sessions_fts",
)
FTS_TABLES = (
    ("segments_fts", "segments", "text"),
    ("sessions_fts", "sessions", "title, description, event"),
    ("track_segments_fts", "track_segments", "text"),  # the other languages' tracks
    ("chat_fts", "session_chat", "text"),
)
FTS_TOKENIZE = re.compile(r"tokenize\s*=\s*'((?:[^']|'')*)'", re.IGNORECASE)


@dataclass(frozen=True)
class CatalogFileInfo:
    """What a catalog file holds, once it has been found sound."""

    path: Path
    schema_version: int
    sessions: int
    segments: int
    size: int


@dataclass(frozen=True)
class RestoreResult:
    restored: CatalogFileInfo
    previous: Path | None  # where the catalog that was replaced now lives


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _open_plain(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


# -- backup --------------------------------------------------------------------------------------------------
def backup(catalog_path: str | Path, target: str | Path, *, overwrite: bool = False) -> CatalogFileInfo:
    """Copy the live catalog at ``catalog_path`` to ``target`` with SQLite's online backup API.

    Safe while other connections read and write: the copy is one consistent snapshot. The target is written
    beside itself first and renamed into place, so a failed backup never leaves a half-written file.
    """
    source, target = Path(catalog_path), Path(target)
    if not source.is_file():
        raise CatalogError(f"{source}: no catalog here to back up")
    if target.exists() and not overwrite:
        raise CatalogError(f"{target}: already exists (choose another name or pass --force)")
    if target.exists() and target.resolve() == source.resolve():
        raise CatalogError(f"{target}: is the live catalog itself")
    if not target.parent.is_dir():
        raise CatalogError(f"{target.parent}: no such folder")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        _copy_database(source, partial)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise CatalogError(f"backup to {target} failed: {exc}") from exc
    return inspect_file(target)


def _copy_database(source: Path, target: Path) -> None:
    """One-step online backup of ``source`` into a fresh file ``target``, left in rollback-journal mode."""
    src = _open_plain(source)
    try:
        dst = sqlite3.connect(str(target), isolation_level=None)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


# -- validating a catalog file ---------------------------------------------------------------------------------
def inspect_file(path: str | Path) -> CatalogFileInfo:
    """Check that ``path`` is a sound uscm-archive catalog and say what it holds; raise ``CatalogError`` if not.

    Works on a private copy, so a file that is read-only, in WAL mode or broken is never touched.
    """
    with _scratch_copy(Path(path), Path(tempfile.gettempdir())) as (scratch, info):
        return info


@contextmanager
def _scratch_copy(path: Path, folder: Path) -> Iterator[tuple[Path, CatalogFileInfo]]:
    """A private copy of the catalog file ``path`` (with its WAL) in ``folder``, checked; removed afterwards."""
    _check_header(path)
    scratch = Path(tempfile.mkdtemp(prefix=".uscm-check-", dir=folder)) / "catalog.db"
    try:
        try:
            shutil.copyfile(path, scratch)
            wal = path.with_name(path.name + "-wal")
            if wal.is_file():
                shutil.copyfile(wal, scratch.with_name(scratch.name + "-wal"))
        except OSError as exc:
            raise CatalogError(f"{path}: cannot read: {exc}") from exc
        yield scratch, _inspect_copy(path, scratch)
    finally:
        shutil.rmtree(scratch.parent, ignore_errors=True)


def _check_header(path: Path) -> None:
    if not path.is_file():
        raise CatalogError(f"{path}: no such file")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head != SQLITE_MAGIC:
        raise CatalogError(f"{path}: not an SQLite database (a uscm-archive catalog is one)")


def _inspect_copy(original: Path, copy: Path) -> CatalogFileInfo:
    try:
        conn = _open_plain(copy)
    except sqlite3.Error as exc:
        raise CatalogError(f"{original}: cannot open: {exc}") from exc
    try:
        version = _schema_version(conn, original)
        problems = check_connection(conn)
        if problems:
            raise CatalogError(f"{original}: not a sound catalog, refused: {problems[0]}")
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        segments = conn.execute("SELECT count(*) FROM segments").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise CatalogError(f"{original}: damaged or not a catalog: {exc}") from exc
    finally:
        conn.close()
    return CatalogFileInfo(original, version, sessions, segments, original.stat().st_size)


def _schema_version(conn: sqlite3.Connection, original: Path) -> int:
    tables = set(sqlite_utils.Database(conn).table_names())  # FTS5 tables and their shadow tables too
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise CatalogError(f"{original}: not a uscm-archive catalog (no table {missing[0]!r})")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if not 1 <= version <= SCHEMA_VERSION:
        raise CatalogError(
            f"{original}: unknown schema version {version} (this program knows versions 1 to {SCHEMA_VERSION})"
        )
    return version


# -- checking --------------------------------------------------------------------------------------------------
def check_connection(conn: sqlite3.Connection) -> list[str]:
    """Every problem found in the catalog behind ``conn``, one line each; an empty list means sound."""
    problems = _integrity(conn)
    if problems:  # a damaged file cannot be trusted for the finer checks
        return problems
    problems += _foreign_keys(conn)
    for fts, content, columns in FTS_TABLES:
        problems += _fts_matches_content(conn, fts, content, columns)
    problems += pairs.problems(conn)  # the phrase index (catalog/store/pairs.py)
    problems += cuts.problems(conn)  # the pairs around segment cuts (catalog/store/cuts.py)
    problems += _session_counts(conn)
    problems += prefix_lists.problems(conn)  # (derived from the index just checked)
    problems += schema_problems(conn)  # an extra trigger or view would run inside the archive
    return problems


def _integrity(conn: sqlite3.Connection) -> list[str]:
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
    # a row may hold several problems on lines of their own: one line each, so that the error stays one line
    problems = [line for row in rows for line in str(row).splitlines() if line.strip()]
    return [] if rows == ["ok"] else [f"integrity_check: {line}" for line in problems]


def _foreign_keys(conn: sqlite3.Connection) -> list[str]:
    return [
        f"foreign key: {table} row {rowid} points to a missing {parent} row"
        for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check").fetchall()[:20]
    ]


def _fts_matches_content(conn: sqlite3.Connection, fts: str, content: str, columns: str) -> list[str]:
    """Rebuild the index privately from the content table and compare every (term, row, column, offset)."""
    try:
        conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")
    except sqlite3.DatabaseError as exc:
        return [f"{fts}: {exc}"]
    names = columns  # the same column names, so that fts5vocab rows compare equal
    conn.execute("DROP TABLE IF EXISTS temp.check_index")
    conn.execute("DROP TABLE IF EXISTS temp.check_stored")
    conn.execute("DROP TABLE IF EXISTS temp.check_fresh")
    tokenize = _tokenizer_of(conn, fts)
    conn.execute(f"CREATE VIRTUAL TABLE temp.check_index USING fts5({names}, tokenize='{tokenize}')")
    try:
        conn.execute(f"INSERT INTO temp.check_index(rowid, {names}) SELECT id, {columns} FROM main.{content}")
        conn.execute(f"CREATE VIRTUAL TABLE temp.check_stored USING fts5vocab(main, {fts}, instance)")
        conn.execute("CREATE VIRTUAL TABLE temp.check_fresh USING fts5vocab(temp, check_index, instance)")
        differ = conn.execute(
            "SELECT (SELECT count(*) FROM (SELECT doc, col, offset, term FROM temp.check_stored"
            " EXCEPT SELECT doc, col, offset, term FROM temp.check_fresh)),"
            " (SELECT count(*) FROM (SELECT doc, col, offset, term FROM temp.check_fresh"
            " EXCEPT SELECT doc, col, offset, term FROM temp.check_stored))"
        ).fetchone()
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.check_stored")
        conn.execute("DROP TABLE IF EXISTS temp.check_fresh")
        conn.execute("DROP TABLE IF EXISTS temp.check_index")
    if differ == (0, 0):
        return []
    return [
        f"{fts}: the full-text index differs from {content} ({differ[0]} stale, {differ[1]} missing entries)"
    ]


def _tokenizer_of(conn: sqlite3.Connection, fts: str) -> str:
    """The ``tokenize`` option the index was made with (as written in its schema), so the copy tokenizes alike."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (fts,)).fetchone()
    found = FTS_TOKENIZE.search(row[0] if row else "")
    return found.group(1) if found else "unicode61"


def _session_counts(conn: sqlite3.Connection) -> list[str]:
    return session_count_problems(conn)[:20]


def session_count_problems(conn: sqlite3.Connection, session_ids: Iterable[int] | None = None) -> list[str]:
    """Sessions whose ``segment_count``/``has_transcript`` disagree with the segments stored (primary track)."""
    wanted = None if session_ids is None else set(session_ids)
    rows = conn.execute(
        """
        SELECT s.id, s.segment_count, s.has_transcript,
               (SELECT count(*) FROM segments g WHERE g.session_id = s.id
                  AND (g.track_id IS NULL
                       OR g.track_id IN (SELECT t.id FROM tracks t WHERE t.session_id = s.id AND t.is_primary = 1)))
        FROM sessions s
        """
    ).fetchall()
    problems = []
    for session_id, recorded, has_transcript, actual in rows:
        if wanted is not None and session_id not in wanted:
            continue
        if recorded != actual:
            problems.append(
                f"session {session_id}: segment_count says {recorded} but {actual} segments are stored"
            )
        elif bool(has_transcript) != (actual > 0):
            problems.append(
                f"session {session_id}: has_transcript is {bool(has_transcript)} with {actual} segments"
            )
    return problems


# -- restore ---------------------------------------------------------------------------------------------------
def restore(catalog_path: str | Path, source: str | Path) -> RestoreResult:
    """Replace the catalog at ``catalog_path`` with the catalog file ``source``, after checking it thoroughly.

    The current catalog (if any) is first copied to ``catalog.db.bak-<UTC timestamp>`` beside it. The new
    content goes in through SQLite's backup API, into the live file, so open connections stay valid.
    An older schema version is migrated after the copy.
    """
    live, source = Path(catalog_path), Path(source)
    if live.exists() and source.resolve() == live.resolve():
        raise CatalogError(f"{source}: is the live catalog itself")
    live.parent.mkdir(parents=True, exist_ok=True)
    with _scratch_copy(source, live.parent) as (scratch, info):
        previous = None
        if live.exists():
            previous = live.with_name(f"{live.name}.bak-{_stamp()}")
            backup(live, previous)
        _copy_into_live(scratch, live)
    return RestoreResult(info, previous)


def _copy_into_live(source: Path, live: Path) -> None:
    src = _open_plain(source)
    try:
        dst = _open_plain(live)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = WAL")
            migrate(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise CatalogError(f"restore from {source} failed: {exc}") from exc
    finally:
        src.close()


def check_file(catalog_path: str | Path) -> list[str]:
    """``check_connection`` on the catalog file at ``catalog_path`` (which must exist)."""
    path = Path(catalog_path)
    _check_header(path)
    conn = _open_plain(path)
    try:
        return check_connection(conn)
    except sqlite3.DatabaseError as exc:
        return [f"cannot read the catalog: {exc}"]
    finally:
        conn.close()
