"""Moving a catalog between backends: ``copy_catalog(source, target)``, SQLite ↔ PostgreSQL (either direction, or
SQLite to SQLite), each a file's path or a ``postgresql://`` URL.

- **What is copied**: every table of the catalog's schema, as this program's SQLite migrations make it
  (``catalog_tables``: the same tables and columns exist on PostgreSQL, ``catalog/store/schema_pg.py``), parents
  before children (foreign keys), each in id order, in batches. Ids are kept, so links to sessions and moments stay
  valid. Full-text indexes are not copied: the target's own indexes are built from the rows (FTS5's triggers and a
  rebuild of the cross-cut windows on SQLite; the generated ``tsvector`` columns, then one ``uscm_rebuild_search()``
  pass for the windows, word counts and statistics on PostgreSQL).
- **Resumable**: each batch is one write transaction on the target that also moves the progress record
  (``copy_catalog_progress``, a table of the target's that exists only while a copy is unfinished). A copy killed
  part-way lost at most its current batch; running it again continues after the last committed one and never
  writes a row twice. The record names the source and what it held (rows and highest id per table): a rerun from
  another source, or after the source changed, is refused.
- **Refusals**: a target that holds any row and is not this source's unfinished copy; a source that does not
  exist; a source and target that are the same catalog. Nothing is written to the target before these checks.
- **Verified** at the end, before the progress record goes: row counts, a sha256 of every column of every table
  (text columns by their UTF-8 bytes) in key order on both sides, and, for a sample of searches, the same answers on
  both sides (``SEARCH_CHECK``). A difference is a ``CatalogError`` naming the table and column or the query.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.errors import CatalogError
from catalog.ops.pg_backup import DERIVED
from catalog.store.db import dialect, is_url, migrate, transaction

if TYPE_CHECKING:
    from catalog.facade import Catalog

PROGRESS_TABLE = "copy_catalog_progress"
BATCH = 5000
LOWEST_ID = -(2**63)  # below every id either backend can hold
Progress = Callable[[int, int], None] | None  # (rows done, rows in all) over every table


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the primary key's columns: the copy's order (``id`` alone: batched, resumable)
    self_refs: tuple[str, ...] = ()  # columns referring to the same table (set after the table is copied)

    @property
    def batched(self) -> bool:
        return self.key == ("id",)


@dataclass(frozen=True)
class SearchCheck:
    query: str
    total: int
    hits: int  # hits on the first page
    compared: bool = True  # False: too common to compare between the backends (CROSS_BACKEND_TOTALS)


@dataclass(frozen=True)
class CopyReport:
    source: str
    target: str
    rows: dict[str, int]  # table → rows in the target
    resumed: bool  # this run continued an unfinished copy
    columns_checked: int
    searches: tuple[SearchCheck, ...] = field(default_factory=tuple)
    seconds: float = 0.0


# -- the schema's tables ----------------------------------------------------------------------------------------


def catalog_tables() -> tuple[Table, ...]:
    """Every table of the catalog's schema (as this program's SQLite migrations make it, in memory), parents
    before children; full-text indexes, their shadow tables and what is derived from them (the impact lists) left
    out."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(conn)
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY rowid"
        ).fetchall()
        virtual = [name for name, sql in rows if sql.upper().startswith("CREATE VIRTUAL")]
        tables: dict[str, Table] = {}
        parents: dict[str, set[str]] = {}
        for name, _ in rows:
            if name in virtual or any(name.startswith(v + "_") for v in virtual):
                continue
            if name.startswith(DERIVED):  # SQLite's impact lists: each write keeps the target's own current
                continue
            info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
            columns = tuple(r[1] for r in info)
            key = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
            fks = conn.execute(f'PRAGMA foreign_key_list("{name}")').fetchall()
            self_refs = tuple(r[3] for r in fks if r[2] == name)
            parents[name] = {r[2] for r in fks if r[2] != name}
            tables[name] = Table(name, columns, key or columns, self_refs)
    finally:
        conn.close()
    ordered: list[Table] = []
    while len(ordered) < len(tables):
        placed = {t.name for t in ordered}
        ready = [t for n, t in tables.items() if n not in placed and parents[n] <= placed]
        if not ready:
            raise CatalogError(
                "the catalog's foreign keys form a cycle: copy-catalog cannot order its tables"
            )
        ordered.extend(ready)
    return tuple(ordered)


# -- opening both ends ------------------------------------------------------------------------------------------


def _label(target: str | Path) -> str:
    if is_url(target):
        from catalog.store.pg import safe_url

        return safe_url(str(target))
    return str(target)


def _same(a: str | Path, b: str | Path) -> bool:
    if is_url(a) or is_url(b):
        return str(a).rstrip("/") == str(b).rstrip("/")
    return Path(a).resolve() == Path(b).resolve()


def _open(target: str | Path, role: str) -> Catalog:
    from catalog.facade import Catalog

    if not is_url(target):
        path = Path(target)
        if role == "source" and not path.is_file():
            raise CatalogError(f"{path}: no catalog here (copy-catalog --from needs an existing catalog)")
        if path.exists() and not path.is_file():
            raise CatalogError(f"{path}: is not a file (copy-catalog --to needs a catalog file's path)")
    try:
        return Catalog.open(target)
    except CatalogError as exc:
        raise CatalogError(f"copy-catalog {role}: {exc}") from exc


# -- the progress record ----------------------------------------------------------------------------------------


def _has_progress(conn) -> bool:
    if dialect(conn) == "postgresql":
        sql = "SELECT count(*) FROM pg_class WHERE relname = ? AND relnamespace = current_schema()::regnamespace"
    else:
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
    return bool(conn.execute(sql, (PROGRESS_TABLE,)).fetchone()[0])


def _progress(conn) -> dict[str, str]:
    return dict(conn.execute(f"SELECT name, value FROM {PROGRESS_TABLE}").fetchall())


def _set_progress(conn, name: str, value: str) -> None:
    conn.execute(f"DELETE FROM {PROGRESS_TABLE} WHERE name = ?", (name,))
    conn.execute(f"INSERT INTO {PROGRESS_TABLE} (name, value) VALUES (?, ?)", (name, value))


def _fingerprint(conn, tables: Sequence[Table]) -> dict[str, list[int]]:
    """What the source holds, table by table: [rows, highest id] (0 for a table without an id)."""
    out = {}
    for table in tables:
        top = "max(id)" if table.batched else "0"
        rows, highest = conn.execute(f'SELECT count(*), {top} FROM "{table.name}"').fetchone()
        out[table.name] = [int(rows), int(highest or 0)]
    return out


def _start(source: Catalog, target: Catalog, tables: Sequence[Table], label: str) -> bool:
    """Begin a new copy (the target empty) or find this source's unfinished one; whether it resumes."""
    src, dst = source.db.conn, target.db.conn
    _check_columns(src, tables, "source")
    _check_columns(dst, tables, "target")
    print_ = json.dumps(_fingerprint(src, tables), sort_keys=True)
    if _has_progress(dst):
        record = _progress(dst)
        if record.get("source") != label:
            raise CatalogError(
                f"the target holds an unfinished copy of another catalog ({record.get('source')}): copy from that "
                "one again to finish it, or copy into a new, empty catalog"
            )
        if record.get("fingerprint") != print_:
            raise CatalogError(
                "the source changed since this copy began (rows were added or removed): copy into a new, empty "
                "catalog (stop every writer first: serve, workers, sync)"
            )
        return True
    for table in tables:
        if dst.execute(f'SELECT EXISTS (SELECT 1 FROM "{table.name}")').fetchone()[0]:
            raise CatalogError(
                f"the target is not empty (its table {table.name} holds rows): copy-catalog copies into a new, "
                "empty catalog"
            )
    with transaction(target.db) as conn:
        conn.execute(f"CREATE TABLE {PROGRESS_TABLE} (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        _set_progress(conn, "source", label)
        _set_progress(conn, "fingerprint", print_)
    return False


def _check_columns(conn, tables: Sequence[Table], role: str) -> None:
    for table in tables:
        try:
            cursor = conn.execute(f'SELECT * FROM "{table.name}" LIMIT 0')
        except sqlite3.Error as exc:
            raise CatalogError(
                f"the {role} has no table {table.name} as this program makes it: {exc}"
            ) from exc
        have = {d[0] for d in cursor.description}
        missing = [c for c in table.columns if c not in have]
        if missing:
            raise CatalogError(f"the {role}'s table {table.name} lacks the column(s) {', '.join(missing)}")


# -- copying ----------------------------------------------------------------------------------------------------


def _columns_sql(table: Table) -> str:
    return ", ".join(f'"{c}"' for c in table.columns)


def _insert_sql(table: Table) -> str:
    # the table's name bare: the PostgreSQL adapter reads it to move the id sequence past the ids given
    return (
        f"INSERT INTO {table.name} ({_columns_sql(table)}) VALUES ({', '.join('?' for _ in table.columns)})"
    )


def _without_self_refs(table: Table, rows: list[tuple]) -> list[tuple]:
    if not table.self_refs:
        return rows
    blank = [table.columns.index(c) for c in table.self_refs]
    return [tuple(None if i in blank else v for i, v in enumerate(row)) for row in rows]


def _copy_batched(source: Catalog, target: Catalog, table: Table, batch: int, advance) -> None:
    src = source.db.conn
    last = int(_progress(target.db.conn).get(f"table:{table.name}", str(LOWEST_ID)))
    select = f'SELECT {_columns_sql(table)} FROM "{table.name}" WHERE id > ? ORDER BY id LIMIT ?'
    while True:
        rows = [tuple(r) for r in src.execute(select, (last, batch)).fetchall()]
        if not rows:
            break
        last = rows[-1][0]
        with transaction(target.db) as conn:
            conn.executemany(_insert_sql(table), _without_self_refs(table, rows))
            _skip_session_refresh(conn)
            _set_progress(conn, f"table:{table.name}", str(last))
        advance(len(rows))


def _copy_whole(source: Catalog, target: Catalog, table: Table, advance) -> None:
    order = ", ".join(f'"{c}"' for c in table.key)
    rows = [
        tuple(r)
        for r in source.db.conn.execute(f'SELECT {_columns_sql(table)} FROM "{table.name}" ORDER BY {order}')
    ]
    with transaction(target.db) as conn:
        if rows:
            conn.executemany(_insert_sql(table), rows)
        _set_progress(conn, f"table:{table.name}", "done")
    advance(len(rows))


def _set_self_refs(source: Catalog, target: Catalog, table: Table) -> None:
    with transaction(target.db) as conn:
        for column in table.self_refs:
            pairs = source.db.conn.execute(
                f'SELECT "{column}", id FROM "{table.name}" WHERE "{column}" IS NOT NULL ORDER BY id'
            ).fetchall()
            if pairs:
                conn.executemany(
                    f'UPDATE "{table.name}" SET "{column}" = ? WHERE id = ?', [tuple(p) for p in pairs]
                )
        _set_progress(conn, f"refs:{table.name}", "done")


def _skip_session_refresh(conn) -> None:
    """On PostgreSQL, the sessions a batch touched are not refreshed one by one at its commit (their windows, word
    counts and statistics: ``catalog/search/pg_schema.py``): ``_finish_indexes`` rebuilds them all in one pass, which
    is what the search schema offers a bulk copy (``uscm_rebuild_search``). A copy cut short leaves them to that."""
    if dialect(conn) == "postgresql":
        conn.execute("DELETE FROM search_stale")


def _finish_indexes(target: Catalog) -> None:
    """What the target's rows do not index by themselves: SQLite's cross-cut windows (written by the writers of
    segments, not by a trigger); on PostgreSQL the windows, word counts and statistics of every session in one
    pass, and the id sequences moved past the copied ids (as at each batch's commit: once more, whatever the
    batches were)."""
    with transaction(target.db) as conn:
        if dialect(conn) == "postgresql":
            conn.execute("SELECT uscm_rebuild_search()")
            conn.execute("SELECT uscm_sync_id_sequences()")
        else:
            conn.execute("INSERT INTO segment_windows_fts(segment_windows_fts) VALUES ('rebuild')")
        _set_progress(conn, "indexes", "done")


# -- verifying --------------------------------------------------------------------------------------------------


def _digests(conn, table: Table) -> tuple[int, list[str]]:
    """Rows, and one sha256 per column over its values in key order."""
    hashes = [hashlib.sha256() for _ in table.columns]
    rows = 0
    for chunk in _chunks(conn, table):
        rows += len(chunk)
        for row in chunk:
            for h, value in zip(hashes, row, strict=True):
                h.update(_value_bytes(value))
    return rows, [h.hexdigest() for h in hashes]


def _chunks(conn, table: Table, size: int = 20_000):
    """The table's rows in key order, a chunk at a time (by id ranges where there is an id)."""
    if not table.batched:
        order = ", ".join(f'"{c}"' for c in table.key)
        yield conn.execute(f'SELECT {_columns_sql(table)} FROM "{table.name}" ORDER BY {order}').fetchall()
        return
    select = f'SELECT {_columns_sql(table)} FROM "{table.name}" WHERE id > ? ORDER BY id LIMIT ?'
    last = LOWEST_ID
    while chunk := conn.execute(select, (last, size)).fetchall():
        yield chunk
        last = chunk[-1][0]


def _value_bytes(value: object) -> bytes:
    if value is None:
        return b"\x00N"
    if isinstance(value, str):
        data = value.encode("utf-8")
        return b"\x00S" + len(data).to_bytes(8, "big") + data
    if isinstance(value, bytes):
        return b"\x00B" + len(value).to_bytes(8, "big") + value
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 3.0 and 3: SQLite keeps a whole REAL as written
    return b"\x00V" + repr(value).encode() + b"\x00"


def _verify_rows(source: Catalog, target: Catalog, tables: Sequence[Table]) -> tuple[dict[str, int], int]:
    problems: list[str] = []
    counts: dict[str, int] = {}
    columns = 0
    for table in tables:
        rows_a, digests_a = _digests(source.db.conn, table)
        rows_b, digests_b = _digests(target.db.conn, table)
        counts[table.name] = rows_b
        columns += len(table.columns)
        if rows_a != rows_b:
            problems.append(f"{table.name}: {rows_a} rows in the source, {rows_b} in the target")
            continue
        for column, a, b in zip(table.columns, digests_a, digests_b, strict=True):
            if a != b:
                problems.append(
                    f"{table.name}.{column}: the values differ (sha256 {a[:12]} against {b[:12]})"
                )
    if problems:
        raise CatalogError("the copy differs from its source: " + "; ".join(problems[:5]))
    return counts, columns


def sample_queries(catalog: Catalog, count: int = 16, *, phrases: bool = True) -> list[str]:
    """Searches drawn from the archive's own text (deterministic), from published segments spread over the
    archive: single words, and (``phrases``) every other one two adjacent words of a segment as a phrase."""
    conn = catalog.db.conn
    total = conn.execute("SELECT count(*) FROM segments").fetchone()[0]
    if not total:
        return []
    step = max(1, total // count)
    rows = conn.execute(
        "SELECT s.text FROM segments s JOIN sessions x ON x.id = s.session_id WHERE x.status = 'published' "
        "AND s.id % ? = 0 ORDER BY s.id LIMIT ?",
        (step, count),
    ).fetchall()
    queries: list[str] = []
    for i, (text,) in enumerate(rows):
        words = "".join(c if c.isalnum() else " " for c in text).split()
        pairs = [(a, b) for a, b in zip(words, words[1:], strict=False) if len(a) > 3 and len(b) > 3]
        if phrases and i % 2 and pairs:
            queries.append('"{} {}"'.format(*pairs[len(pairs) // 2]))
        elif long := sorted((w for w in words if len(w) > 3), key=lambda w: (-len(w), w)):
            queries.append(long[i % min(2, len(long))])  # a long word: most are rare enough to compare
    return queries


SEARCH_CHECK = (
    "each query searched in exact mode (the literal words) with typo correction off, drafts included. Within one "
    "backend: the same total and the first page's hits in the same order, each the same segment, start and matched "
    "words (single words and two-word phrases). Between the two backends: single words, the same total, and where "
    "the whole answer fits on the first page the same segments with the same starts. Order and marks are not "
    "compared there because the backends stem differently (SQLite's Porter, PostgreSQL's Snowball: 'mostly' and "
    "'most' are one stem on PostgreSQL), which moves bm25's term counts, and a phrase may also match across a "
    "segment cut, where the two searches' rules do not yet agree on every match (measured at 1M: "
    "'\"with times\"' 43 hits on SQLite, 47 on PostgreSQL, the 4 more across a sentence's end). A word with more "
    "than CROSS_BACKEND_TOTALS matches is searched but not compared between the backends: PostgreSQL's exact mode "
    "does not count such matches as SQLite does (measured at 1M: 'from' 73,050 on SQLite, 50,000 on PostgreSQL)."
)


def _answer(catalog: Catalog, query: str) -> tuple[int, list[tuple]]:
    from catalog.models import MATCH_CLOSE, MATCH_OPEN, SearchRequest

    request = SearchRequest(query=query, limit=20, exact=True, correct=False, include_drafts=True)
    results = catalog.search(request)
    hits = []
    for hit in results.hits:
        marked = tuple(part.split(MATCH_CLOSE, 1)[0].lower() for part in hit.marked.split(MATCH_OPEN)[1:])
        hits.append((hit.segment_id, round(hit.start, 3), marked))
    return results.total, hits


CROSS_BACKEND_TOTALS = 1000  # matches beyond which the two backends' exact-mode totals are not compared


def _verify_search(
    source: Catalog, target: Catalog, queries: Sequence[str], *, same_backend: bool
) -> tuple[SearchCheck, ...]:
    checks: list[SearchCheck] = []
    problems: list[str] = []
    for query in queries:
        (total_a, hits_a), (total_b, hits_b) = _answer(source, query), _answer(target, query)
        if not same_backend and max(total_a, total_b) > CROSS_BACKEND_TOTALS:
            checks.append(SearchCheck(query, total_b, len(hits_b), compared=False))
            continue
        if total_a != total_b:
            problems.append(f"{query!r}: {total_a} matches in the source, {total_b} in the target")
        elif same_backend and hits_a != hits_b:
            at = next(i for i, (a, b) in enumerate(zip_longest(hits_a, hits_b)) if a != b)
            problems.append(
                f"{query!r}: hit {at + 1} differs ({hits_a[at : at + 1]} against {hits_b[at : at + 1]})"
            )
        elif (
            not same_backend and total_a <= len(hits_a) and {h[:2] for h in hits_a} != {h[:2] for h in hits_b}
        ):
            problems.append(f"{query!r}: the {total_a} hits are not the same segments and starts")
        checks.append(SearchCheck(query, total_b, len(hits_b)))
    if problems:
        raise CatalogError("the copy's search answers differ from the source's: " + "; ".join(problems[:5]))
    return tuple(checks)


# -- the whole copy ---------------------------------------------------------------------------------------------


def copy_catalog(
    source: str | Path,
    target: str | Path,
    *,
    batch: int = BATCH,
    queries: Sequence[str] | None = None,
    progress: Progress = None,
) -> CopyReport:
    """Copy the catalog at ``source`` into the new or empty catalog at ``target`` (or finish this source's unfinished
    copy there), then verify it; ``queries`` are the searches compared (default: ``sample_queries``)."""
    if batch < 1:
        raise CatalogError("the batch size must be at least 1")
    if _same(source, target):
        raise CatalogError("the source and the target are the same catalog")
    started = time.perf_counter()
    tables = catalog_tables()
    src = _open(source, "source")
    try:
        dst = _open(target, "target")
        try:
            resumed = _start(src, dst, tables, _label(source))
            _copy_all(src, dst, tables, batch, progress)
            counts, columns = _verify_rows(src, dst, tables)
            same = src.backend == dst.backend
            if queries is None:  # phrases only within one backend: see SEARCH_CHECK
                queries = sample_queries(src, phrases=same)
            searches = _verify_search(src, dst, queries, same_backend=same)
            with transaction(dst.db) as conn:
                conn.execute(f"DROP TABLE {PROGRESS_TABLE}")
        finally:
            dst.close()
    finally:
        src.close()
    return CopyReport(
        _label(source),
        _label(target),
        counts,
        resumed,
        columns,
        searches,
        round(time.perf_counter() - started, 2),
    )


def _copy_all(src: Catalog, dst: Catalog, tables: Sequence[Table], batch: int, progress: Progress) -> None:
    done_record = _progress(dst.db.conn)
    total = sum(v[0] for v in json.loads(done_record["fingerprint"]).values())
    state = {"done": _rows_already(dst, tables, done_record)}

    def advance(n: int) -> None:
        state["done"] += n
        if progress is not None:
            progress(state["done"], total)

    advance(0)
    for table in tables:
        mark = done_record.get(f"table:{table.name}")
        if table.batched:
            _copy_batched(src, dst, table, batch, advance)
        elif mark != "done":
            _copy_whole(src, dst, table, advance)
        if table.self_refs and done_record.get(f"refs:{table.name}") != "done":
            _set_self_refs(src, dst, table)
    if done_record.get("indexes") != "done":
        _finish_indexes(dst)


def _rows_already(dst: Catalog, tables: Sequence[Table], record: dict[str, str]) -> int:
    return sum(
        dst.db.conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
        for t in tables
        if f"table:{t.name}" in record
    )
