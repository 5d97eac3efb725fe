"""Keeping the full-text indexes compact: every FTS5 index of the catalog merged into one b-tree.

FTS5 adds a b-tree (an index "segment") to an index for every statement that writes it through a trigger (SQLite
3.40: the statement's savepoint flushes the pending terms) or, without one, every write transaction, and merges them
only in batches of the same level, so an index that took many writes is many b-trees: every term a
search looks up is looked up in each of them. The 1M bench archive's ``segments_fts`` was 15 b-trees after
generation; merged into one, a lookup of one segment by id went 24 → 8 µs.

``compact`` merges every FTS5 index the schema holds (every ``CREATE VIRTUAL TABLE … USING fts5(…)``, found in
``sqlite_master``, so an index another change adds is included; ``fts5vocab`` tables are views of one and hold
nothing) with FTS5's incremental ``merge`` command given a negative page count: each step is one short write
transaction that writes at most ``pages`` pages of merged b-tree (~0.05 s at 1M with the default), repeated
``pause`` seconds apart until FTS5 reports no work left, when the index is one b-tree. Readers never wait (WAL: they keep reading the b-trees
of their snapshot) and a writer (an ingest) waits one step at most, not the whole merge. The merge changes how
the index is stored, not what it holds: every search answers the same afterwards, and ``check`` still passes.
Stopped half-way (``should_stop``), the index stays sound and the next run carries on.

How many b-trees an index has is read from its structure record (row 10 of ``<index>_data``, FTS5's own format:
a 4-byte cookie, an optional 4-byte version-2 marker, then varints: levels, b-trees, leaf pages written). That
count is what ``due`` compares with the threshold: it is what a lookup pays for, and it grows with the writes
since the last compaction (one b-tree per ingest, sixteen merged into one when they pile up).

The last run is recorded in ``shared_settings`` (name ``fts-compacted``): when, by whom, how long, and each
index's b-trees before. On PostgreSQL the same command cleans the pending lists of the search's GIN indexes into
their main trees (``gin_clean_pending_list``) and runs ``ANALYZE`` on their tables: what a GIN index defers
between vacuums; autovacuum does the same on its own, so nothing there is ever due.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from catalog.errors import CatalogError
from catalog.store.db import dialect, transaction, utcnow

SETTING = "fts-compacted"
STEP_PAGES = 250  # pages of merged b-tree written per step (one write transaction): ~0.05 s at 1M
# Seconds between steps. A writer that found the catalog locked (an ingest) sleeps in SQLite's busy handler for up
# to 100 ms at a time: without a pause longer than that, the next step takes the lock first every time and the
# writer waits for the whole compaction. Measured at 1M (a compaction in one process, a 3-hour file ingested by
# the command line in another, a search loop in a third thread): 1,000 pages a step with no pause, the ingest
# took 2.9 s instead of 0.86 s and searches' p50 went 18 → 41 ms; 250 pages 0.12 s apart, 1.35 s and 18.4 ms (the
# compaction then takes ~22 s of wall time for the same ~4.5 s of CPU).
STEP_PAUSE = 0.12
# An index is due once one of them is this many b-trees (the worker's default; `worker --compact-at`). Measured at
# 1M (bench/results/engines-1M-OP.md): 15 → 1 b-trees cut the rare word's CPU p50 1.58 → 1.16 ms and the speaker
# filter's 4.76 → 4.13 ms (a lookup by id 24 → 8 µs: ≈ 1.1 µs per b-tree per term looked up), for ~2.4 s of one
# core: paid back after ~5,000 searches. An ingest adds one b-tree to each index it writes
# (its segments go in as one statement: ``sessions._insert_rows``) and FTS5 merges them 16 at a time, so 8 is about
# 7 ingests since the last compaction: a search pays at most ~8 µs per term for the b-trees, and an archive that
# takes a few sessions a day is compacted about once a day, in an idle moment.
DUE_BTREES = 8
_FTS5 = re.compile(r"\bUSING\s+fts5\s*\(", re.IGNORECASE)
_V2 = b"\xff\x00\x00\x01"


@dataclass(frozen=True)
class IndexShape:
    """One full-text index as stored: how many b-trees it is, and FTS5's count of leaf pages ever written."""

    name: str
    btrees: int
    pages_written: int


@dataclass(frozen=True)
class IndexCompaction:
    name: str
    before: int  # b-trees before
    after: int  # b-trees after (1, or 0 for an empty index; more when stopped half-way)
    steps: int  # write transactions it took
    seconds: float


@dataclass(frozen=True)
class ListsRefit:
    """What ``compact(lists=True)`` found and did with the impact lists (``catalog/store/impact.py``)."""

    reference: float | None  # the segment length (tokens) the lists were made at, when it was off
    mean: float | None  # the archive's mean segment length then
    rebuilt: bool
    seconds: float


@dataclass(frozen=True)
class Compaction:
    """What ``compact`` did: one entry per index (GIN indexes on PostgreSQL), in schema order."""

    backend: str
    indexes: tuple[IndexCompaction, ...]
    seconds: float
    complete: bool  # False when stopped half-way (``should_stop``)
    lists: ListsRefit | None = None  # asked for (``lists=True``): the impact lists' refit

    def as_json(self) -> dict:
        lists = self.lists
        return {
            "backend": self.backend,
            "seconds": round(self.seconds, 3),
            "complete": self.complete,
            "lists": None
            if lists is None
            else {
                "reference": None if lists.reference is None else round(lists.reference, 3),
                "mean": None if lists.mean is None else round(lists.mean, 3),
                "rebuilt": lists.rebuilt,
                "seconds": round(lists.seconds, 3),
            },
            "indexes": [
                {
                    "name": i.name,
                    "before": i.before,
                    "after": i.after,
                    "steps": i.steps,
                    "seconds": round(i.seconds, 3),
                }
                for i in self.indexes
            ],
        }


# -- reading an index's structure ---------------------------------------------------------------------------------
def fts_indexes(conn) -> list[str]:
    """Every FTS5 index of the catalog (not the ``fts5vocab`` views of them), in schema order."""
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%' ORDER BY rowid"
    ).fetchall()
    return [name for name, sql in rows if _FTS5.search(sql or "")]


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """SQLite's varint (big-endian, 7 bits a byte, the ninth byte whole) at ``at``: (value, next offset)."""
    value = 0
    for k in range(9):
        byte = data[at]
        at += 1
        if k == 8:
            return (value << 8) | byte, at
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    return value, at


def shape(conn, name: str) -> IndexShape:
    """How the index ``name`` is stored now (from its structure record; no record yet: an empty index)."""
    row = conn.execute(f'SELECT block FROM "{name}_data" WHERE id = 10').fetchone()
    if row is None or row[0] is None or len(row[0]) < 5:
        return IndexShape(name, 0, 0)
    data = bytes(row[0])
    at = 8 if data[4:8] == _V2 else 4  # the cookie, then the version-2 marker of newer SQLite if there
    _levels, at = _varint(data, at)
    btrees, at = _varint(data, at)
    written, _ = _varint(data, at)
    return IndexShape(name, btrees, written)


def shapes(conn) -> list[IndexShape]:
    if dialect(conn) == "postgresql":
        return []
    return [shape(conn, name) for name in fts_indexes(conn)]


def due(conn, btrees: int = DUE_BTREES) -> list[str]:
    """The indexes that are ``btrees`` b-trees or more (never any on PostgreSQL, whose autovacuum keeps up)."""
    if btrees <= 0:
        return []
    return [s.name for s in shapes(conn) if s.btrees >= btrees]


def last_run(conn) -> dict | None:
    """The last compaction recorded: {"at", "by", "seconds", "indexes": {name: b-trees before}}, or None."""
    row = conn.execute(
        "SELECT value, set_by, set_at FROM shared_settings WHERE name = ?", (SETTING,)
    ).fetchone()
    if row is None:
        return None
    recorded = json.loads(row[0])
    return {"at": row[2], "by": row[1], **recorded}


# -- compacting ---------------------------------------------------------------------------------------------------
def compact(
    db,
    *,
    by: str,
    pages: int = STEP_PAGES,
    pause: float = STEP_PAUSE,
    only: list[str] | None = None,
    should_stop: Callable[[], bool] | None = None,
    lists: bool = False,
) -> Compaction:
    """Merge every full-text index (or those named in ``only``) into one b-tree, ``pages`` pages a step; record
    the run in ``shared_settings`` as done ``by`` (a node or ``cli:<login>``). ``lists``: then also rebuild the
    impact lists if the archive's mean segment length has left theirs by more than ``impact.DRIFT`` (one write
    transaction that reads the whole index: ~100 s at 1M segments, writers wait; ``impact.drift``)."""
    started = time.perf_counter()
    try:
        refitted = None
        if dialect(db.conn) == "postgresql":
            done = _compact_postgresql(db.conn)
            complete = True
        else:
            done, complete = _compact_sqlite(
                db, pages=max(1, int(pages)), pause=pause, only=only, should_stop=should_stop
            )
            if lists and complete:
                refitted = _refit_lists(db)
        result = Compaction(dialect(db.conn), tuple(done), time.perf_counter() - started, complete, refitted)
        _record(db, result, by)
    except sqlite3.Error as exc:  # PostgreSQL's errors arrive as sqlite3's too (catalog/store/pg.py)
        raise CatalogError(f"compacting the full-text indexes failed: {exc}") from exc
    return result


def _compact_sqlite(db, *, pages: int, pause: float, only, should_stop) -> tuple[list[IndexCompaction], bool]:
    conn = db.conn
    done: list[IndexCompaction] = []
    for name in fts_indexes(conn):
        if only is not None and name not in only:
            continue
        before = shape(conn, name).btrees
        began, steps = time.perf_counter(), 0
        while before > 1:
            if should_stop is not None and should_stop():
                done.append(
                    IndexCompaction(
                        name, before, shape(conn, name).btrees, steps, time.perf_counter() - began
                    )
                )
                return done, False
            with transaction(db) as tx:
                changes = tx.total_changes
                tx.execute(f'INSERT INTO "{name}"("{name}", rank) VALUES (\'merge\', ?)', (-pages,))
                worked = tx.total_changes - changes >= 2  # FTS5's own signal: less than 2 rows, nothing left
            steps += 1
            if not worked:
                break
            time.sleep(pause)  # a writer waiting for the lock gets it now
        if (
            shape(conn, name).btrees > 1
        ):  # FTS5 found no merge left yet more than one b-tree: merge them at once
            with transaction(db) as tx:
                tx.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'optimize\')')
            steps += 1
        done.append(
            IndexCompaction(name, before, shape(conn, name).btrees, steps, time.perf_counter() - began)
        )
    return done, True


def _refit_lists(db) -> ListsRefit:
    from catalog.store import impact

    began = time.perf_counter()
    with transaction(db) as conn:
        off = impact.drift(conn)
        if off is not None:
            impact.rebuild(conn)
    reference, mean = off if off is not None else (None, None)
    return ListsRefit(reference, mean, off is not None, time.perf_counter() - began)


def _compact_postgresql(conn) -> list[IndexCompaction]:
    """The search's GIN indexes: their pending lists merged into the main tree, then ANALYZE of their tables.
    ``before`` is the pending-list pages found; ``after`` 0."""
    found = conn.native(
        "SELECT c.relname, t.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_am a ON a.oid = c.relam "
        "WHERE a.amname = 'gin' AND c.relkind = 'i' AND c.relnamespace = current_schema()::regnamespace "
        "ORDER BY c.relname"
    )
    done, tables = [], []
    for index, table in found:
        began = time.perf_counter()
        cleaned = conn.native("SELECT gin_clean_pending_list(%s::regclass)", (index,))[0][0]
        done.append(IndexCompaction(index, int(cleaned or 0), 0, 1, time.perf_counter() - began))
        if table not in tables:
            tables.append(table)
    for table in tables:
        conn.native(f'ANALYZE "{table}"')
    return done


def _record(db, result: Compaction, by: str) -> None:
    value = json.dumps(
        {
            "seconds": round(result.seconds, 3),
            "complete": result.complete,
            "indexes": {i.name: i.before for i in result.indexes},
        }
    )
    with transaction(db) as conn:
        conn.execute(
            "INSERT INTO shared_settings (name, value, set_by, set_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value, set_by = excluded.set_by, "
            "set_at = excluded.set_at",
            (SETTING, value, by, utcnow()),
        )
