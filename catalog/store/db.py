"""Opening the catalog's SQLite file: pragmas, migrations, transactions. The only place that connects."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
import sqlite_utils.plugins

from catalog.errors import CatalogError
from catalog.store import cuts, impact, pairs, prefix_lists
from catalog.store.schema import (
    COMPLETE_LISTS_VERSION,
    CUT_PAIRS_VERSION,
    IMPACT_LISTS_VERSION,
    MIGRATIONS,
    PHRASE_PAIRS_VERSION,
    PREFIX_LISTS_VERSION,
    REFIT_LISTS_VERSION,
    SCHEMA_VERSION,
)


def utcnow() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def is_url(target: object) -> bool:
    """Whether a catalog target is a PostgreSQL URL (``postgresql://…``) rather than a SQLite file's path."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def dialect(conn: object) -> str:
    """``"postgresql"`` or ``"sqlite"``: the one test for the few statements that cannot be said in both."""
    return getattr(conn, "dialect", "sqlite")


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the catalog at ``path``, in WAL mode, migrated to the current schema; a
    ``postgresql://`` URL opens that database instead (``catalog/store/pg.py``), in the same shape."""
    if is_url(path):
        from catalog.store import pg

        return pg.open_database(path)  # type: ignore[return-value]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA temp_store = MEMORY")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise CatalogError(f"{path}: cannot open the catalog: {exc}") from exc
    # The catalog uses no sqlite-utils plugins; looking for them reads every installed package's metadata
    # (~25 ms per process, most of a command-line search). Marked done, Database() skips the search.
    sqlite_utils.plugins._plugins_loaded = True
    return sqlite_utils.Database(conn)


def migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise CatalogError(
            f"the catalog has schema version {version}, newer than this program knows ({SCHEMA_VERSION})"
        )
    for number in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
            if number + 1 == IMPACT_LISTS_VERSION:
                impact.rebuild(conn)  # the lists of the segments already there
            if number + 1 == PHRASE_PAIRS_VERSION:
                pairs.rebuild(conn)  # the phrase index of the segments already there
            if number + 1 == PREFIX_LISTS_VERSION:
                prefix_lists.rebuild(conn)  # the prefix lists, likewise
            if number + 1 == CUT_PAIRS_VERSION:
                cuts.rebuild(conn)  # the pairs around segment cuts, likewise
            if number + 1 == REFIT_LISTS_VERSION:
                impact.refit(conn)  # lists made at another segment length than the archive's
            if number + 1 == COMPLETE_LISTS_VERSION:
                impact.complete(conn)  # a list for every term, the rare ones complete
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (trigger bodies keep their inner semicolons)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if statement and statement != ";":
                yield statement
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """One write transaction (BEGIN IMMEDIATE ... COMMIT); rolled back whole on any error. The impact lists take in
    what it changed in segments before it commits (``impact.flush``), so they are never behind a commit."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        sequences = pairs.flush(conn)  # (the phrase index reads the record the lists then clear)
        impact.flush(conn, sequences)
        cuts.flush(conn, sequences)  # the pairs around segment cuts (their own record)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
