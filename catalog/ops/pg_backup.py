"""``backup`` and ``restore`` of a PostgreSQL catalog, with the same file as on SQLite: a SQLite catalog file.

``backup FILE`` reads every table of the PostgreSQL catalog in one snapshot (a ``REPEATABLE READ`` transaction:
consistent while others write) into a fresh SQLite catalog of the same schema version, whose full-text indexes are
rebuilt from the rows; the file is checked like any backup before it takes its name. Staff accounts, tokens, the
ingest queue and the audit log are in it, as in a SQLite backup. So one backup file serves both backends:
``restore`` puts it back into a SQLite catalog, or into a PostgreSQL one.

``restore FILE`` into PostgreSQL checks the file as SQLite's restore does, then copies its rows in one transaction.
It never replaces rows: the PostgreSQL catalog must be empty (a new database), and the error says so otherwise;
the database being restored over is kept by not touching it, which is what SQLite's ``.bak`` copy gives.
Caption and media files live in the data folder, as with SQLite: copy those too (or use ``dump``).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from catalog.errors import CatalogError
from catalog.ops.backup import CatalogFileInfo, RestoreResult, _scratch_copy, inspect_file
from catalog.store import cuts, impact, pairs
from catalog.store.db import connect
from catalog.store.schema import SCHEMA_VERSION

BATCH = 5000


# SQLite-only tables derived from its full-text index (the impact lists): built again from the copied rows, never
# read from or written to PostgreSQL, which has no counterpart.
DERIVED = ("impact_",)


def tables_to_copy(lite: sqlite3.Connection) -> list[tuple[str, list[str]]]:
    """The catalog's plain tables (not its full-text indexes or their shadow tables) with their columns."""
    names = [
        row[0]
        for row in lite.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    virtual = [
        row[0] for row in lite.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL%'")
    ]
    names = [n for n in names if not any(n.startswith(f"{v}_") for v in virtual)]
    names = [n for n in names if not n.startswith(DERIVED)]
    return [(name, [row[1] for row in lite.execute(f'PRAGMA table_info("{name}")')]) for name in names]


def _rows(conn, table: str, columns: list[str]):
    """Every row of ``table`` on PostgreSQL, in id order, a batch at a time (a large catalog is never held in
    memory at once)."""
    select = ", ".join(f'"{c}"' for c in columns)
    if "id" not in columns:
        yield from conn.native(f'SELECT {select} FROM "{table}"')
        return
    last = None
    while True:
        where = "" if last is None else "WHERE id > %s"
        params = () if last is None else (last,)
        batch = conn.native(f'SELECT {select} FROM "{table}" {where} ORDER BY id LIMIT {BATCH}', params)
        yield from batch
        if len(batch) < BATCH:
            return
        last = batch[-1][columns.index("id")]


def backup(conn, target: str | Path, *, overwrite: bool = False) -> CatalogFileInfo:
    """Write the PostgreSQL catalog behind ``conn`` to the SQLite catalog file ``target``, one snapshot."""
    target = Path(target)
    if target.exists() and not overwrite:
        raise CatalogError(f"{target}: already exists (choose another name or pass --force)")
    if not target.parent.is_dir():
        raise CatalogError(f"{target.parent}: no such folder")
    version = conn.native("SELECT version FROM schema_version")[0][0]
    if version != SCHEMA_VERSION:
        raise CatalogError(f"the catalog has schema version {version}, this program writes {SCHEMA_VERSION}")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        connect(partial).conn.close()  # a fresh, migrated SQLite catalog
        lite = sqlite3.connect(str(partial), isolation_level=None)
        try:
            _fill(conn, lite)
            lite.execute("PRAGMA journal_mode = DELETE")
        finally:
            lite.close()
        inspect_file(partial)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        raise CatalogError(f"backup to {target} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return inspect_file(target)


def _fill(conn, lite: sqlite3.Connection) -> None:
    conn.native("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        lite.execute("PRAGMA foreign_keys = OFF")
        lite.execute("BEGIN")
        for table, columns in tables_to_copy(lite):
            marks = ", ".join("?" * len(columns))
            names = ", ".join(f'"{c}"' for c in columns)
            lite.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', _rows(conn, table, columns))
        lite.execute("INSERT INTO segment_windows_fts(segment_windows_fts) VALUES ('rebuild')")
        pairs.rebuild(lite)  # the phrase index of the copied segments
        cuts.rebuild(lite)  # the pairs around their cuts
        impact.rebuild(lite)  # the lists of the copied segments (the triggers left them pending)
        lite.execute("COMMIT")
    finally:
        conn.native("ROLLBACK")


def _require_empty(conn, tables: list[str]) -> None:
    held = [table for table in tables if conn.native(f'SELECT EXISTS (SELECT 1 FROM "{table}")')[0][0]]
    if held:
        raise CatalogError(
            f"the PostgreSQL catalog is not empty ({held[0]} has rows): restore replaces nothing there; make a "
            "new database (createdb) and restore into it with --catalog"
        )


def restore(conn, source: str | Path) -> RestoreResult:
    """Copy the checked SQLite catalog file ``source`` into the empty PostgreSQL catalog behind ``conn``."""
    source = Path(source)
    with _scratch_copy(source, Path(source).parent) as (scratch, info):
        connect(scratch).conn.close()  # an older schema version is migrated first, as SQLite's restore does
        lite = sqlite3.connect(str(scratch), isolation_level=None)
        try:
            tables = tables_to_copy(lite)
            conn.execute("BEGIN IMMEDIATE")
            try:
                _require_empty(conn, [table for table, _ in tables])
                conn.native(
                    "SET CONSTRAINTS ALL DEFERRED"
                )  # rows in table order; references checked at commit
                # sessions first: a session's row makes its year's segment partition
                for table, columns in sorted(tables, key=lambda t: t[0] != "sessions"):
                    quoted = ", ".join(f'"{c}"' for c in columns)
                    rows = lite.execute(f'SELECT {quoted} FROM "{table}"')
                    marks = ", ".join("?" * len(columns))
                    conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
                conn.native("SELECT uscm_sync_id_sequences()")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise CatalogError(f"restore from {source} failed: {exc}") from exc
        finally:
            lite.close()
    return RestoreResult(info, None)
