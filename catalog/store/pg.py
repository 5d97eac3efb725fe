"""The catalog on PostgreSQL: the one module that imports psycopg (3) and psycopg_pool.

The catalog's statements are written once, in SQLite's dialect, against the subset of a ``sqlite3.Connection``
they use (``execute``/``executemany`` giving a cursor with ``fetchone``, ``fetchall``, iteration, ``lastrowid``,
``rowcount``; ``BEGIN``/``COMMIT``/``ROLLBACK`` as statements). ``PgConnection`` presents that subset over a psycopg
connection and translates each statement text once (``translate``, cached):

- ``?`` and ``:name`` placeholders become psycopg's ``%s`` and ``%(name)s`` (a literal ``%`` is doubled);
- ``INSERT OR IGNORE`` becomes ``INSERT ... ON CONFLICT DO NOTHING``; ``BEGIN IMMEDIATE`` is ``BEGIN``;
- ``LIKE`` is ``ILIKE`` (SQLite's LIKE ignores case); ``a IS ?`` is ``IS NOT DISTINCT FROM``;
- the column ``end`` (a reserved word in PostgreSQL) is quoted wherever it is not a ``CASE``'s end;
- ``ORDER BY`` terms say where NULLs go as SQLite puts them (first when ascending, last when descending), except on
  columns that are never NULL;
- an ``INSERT`` into a table with an ``id`` gets ``RETURNING id``, which is the cursor's ``lastrowid``; one that
  gives explicit ids marks the transaction, and the id sequences move past them before it commits.

``COLLATE NOCASE``, ``instr``, ``json_extract`` and ``group_concat`` exist on the server under SQLite's names
(``catalog/store/schema_pg.py``). Python ``bool`` parameters are stored as 0/1 and ``numeric`` results come back as
``int`` or ``float``, as SQLite gives them. psycopg's errors are raised as the ``sqlite3`` exception of the same
DB-API class (``IntegrityError``, ``OperationalError``, ...), so the catalog's ``except sqlite3.Error`` clauses wrap
them in ``CatalogError`` alike.

Connections come from one ``psycopg_pool.ConnectionPool`` per URL in the process (``open_database``; a ``Catalog``
is used by one thread at a time as with SQLite, and borrows a connection for each statement outside a transaction
and for each transaction whole). The first open of a URL in a process applies
the migrations (under an advisory lock: several processes may start at once).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import psycopg
import psycopg.errors
import psycopg_pool
from psycopg.adapt import Loader

from catalog.errors import CatalogError
from catalog.store.schema_pg import MIGRATIONS, SCHEMA_VERSION
from catalog.store.version import DataVersion

# connections per URL per process. A web process runs up to 40 threads (anyio's pool), and a thread whose Catalog
# once touched ``PgConnection.raw`` keeps that connection (the typo lookup's ``vocabulary_key`` does): at 32, the
# two-node load at 64 clients (bench/topology.py) saw the 33rd such thread, and the data-version check after it,
# wait 30 s for a connection. 64 covers the threads with room for the version checks.
POOL_MAX = 64
MIGRATION_LOCK = 8_121_964_001  # pg_advisory_xact_lock key: one migrating process at a time


# -- translation -------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<comment>--[^\n]*)|(?P<string>'(?:[^']|'')*')|(?P<ident>"(?:[^"]|"")*")
    |(?P<param>\?\d*)|(?P<named>(?<!:):[A-Za-z_][A-Za-z0-9_]*)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<number>\d+(?:\.\d*)?)|(?P<op>::|\|\||<=|>=|<>|!=|.)""",
    re.VERBOSE | re.DOTALL,
)
_CLAUSE_END = {"LIMIT", "OFFSET", "UNION", "EXCEPT", "INTERSECT", "RETURNING", "WINDOW", "FETCH", "FOR"}


@dataclass(frozen=True)
class Statement:
    text: str  # in PostgreSQL's dialect, psycopg placeholders
    named: bool  # :name placeholders (params is a mapping)
    kind: str  # the first word, upper-cased: SELECT, INSERT, BEGIN, ...
    returns_id: bool  # RETURNING id was added: lastrowid
    explicit_id: bool  # an INSERT naming the id column
    write_lock: bool = False  # BEGIN IMMEDIATE: one writer at a time, as on SQLite


@dataclass(frozen=True)
class Schema:
    """What translation needs to know of the schema: tables with an ``id`` column, and column names that are
    NOT NULL in every table that has them."""

    id_tables: frozenset[str]
    never_null: frozenset[str]


def translate(sql: str, schema: Schema) -> Statement:
    return _translate(sql, schema)


@lru_cache(maxsize=4096)
def _translate(sql: str, schema: Schema) -> Statement:
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(sql)]
    words = [(i, v.upper()) for i, (k, v) in enumerate(tokens) if k == "word"]
    kind = words[0][1] if words else ""
    if kind == "PRAGMA":
        raise sqlite3.OperationalError(f"PRAGMA has no PostgreSQL equivalent here: {sql.strip()[:80]}")
    out: list[str] = []
    named = ignore = False
    case_depth = 0
    insert_table = ""
    explicit_id = False
    order = _OrderBy(schema)
    i = 0
    while i < len(tokens):
        k, v = tokens[i]
        up = v.upper()
        if k == "param":
            out.append("%s")
        elif k == "named":
            out.append(f"%({v[1:]})s")
            named = True
        elif k in ("string", "ident", "comment"):
            out.append(v.replace("%", "%%"))
        elif k == "op" and v == "%":
            out.append("%%")
        elif k == "number" and v in ("0", "1") and _is_condition(tokens, i):
            out.append("TRUE" if v == "1" else "FALSE")  # SQLite's "WHERE 1": a truth value in PostgreSQL
        elif k == "word" and up == "OR" and kind == "INSERT" and _prev_word(tokens, i) == "INSERT":
            nxt = _next_word(tokens, i)
            if nxt != "IGNORE":
                raise sqlite3.OperationalError(f"INSERT OR {nxt} is not translated for PostgreSQL")
            ignore = True
            i = _skip_past_word(tokens, i, "IGNORE")
            continue
        elif k == "word" and up == "COLLATE" and _next_word(tokens, i) == "NOCASE" and order.sorting():
            _sort_as_nocase(out)  # SQLite's NOCASE order: ASCII letters folded, then bytewise
            i += 1
            while tokens[i][1].upper() != "NOCASE":
                i += 1
            i += 1  # past NOCASE; what follows it (a space, DESC, a comma) goes out as it is
            continue
        elif k == "word" and up == "IMMEDIATE" and kind == "BEGIN":
            pass
        elif k == "word" and up == "LIKE":
            out.append("ILIKE")
        elif k == "word" and up == "CASE":
            case_depth += 1
            out.append(v)
        elif k == "word" and up == "END":
            if case_depth and _ends_expression(tokens, i):
                case_depth -= 1
                out.append(v)
            else:
                out.append('"end"')
        elif k == "word" and up == "IS" and _next_kind(tokens, i) in ("param", "named"):
            out.append("IS NOT DISTINCT FROM")
        elif (
            k == "word"
            and up == "IS"
            and _next_word(tokens, i) == "NOT"
            and _kind_after(tokens, i, 2)
            in (
                "param",
                "named",
            )
        ):
            out.append("IS DISTINCT FROM ")
            i = _skip_past_word(tokens, i, "NOT")
            continue
        else:
            out.append(v)
        if kind == "INSERT" and k == "word" and not insert_table and _prev_word(tokens, i) == "INTO":
            insert_table = v.lower()
            explicit_id = _names_id(tokens, i)
        order.see(out, k, up)
        i += 1
    order.finish(out)
    text = "".join(out).strip().rstrip(";")
    if kind == "BEGIN":
        immediate = any(w in ("IMMEDIATE", "EXCLUSIVE") for _, w in words)
        # SQLite's deferred BEGIN reads one snapshot; IMMEDIATE is the one writer (the data version's row lock)
        text = "BEGIN" if immediate else "BEGIN ISOLATION LEVEL REPEATABLE READ"
        return Statement(text, False, kind, False, False, write_lock=immediate)
    if ignore:
        text += " ON CONFLICT DO NOTHING"
    returns_id = False
    if kind == "INSERT" and insert_table in schema.id_tables and "RETURNING" not in {w for _, w in words}:
        text += " RETURNING id"
        returns_id = True
    return Statement(text, named, kind, returns_id, explicit_id)


class _OrderBy:
    """Adds SQLite's NULL placement to each ``ORDER BY`` term (``NULLS FIRST`` ascending, ``NULLS LAST``
    descending) as the tokens go out; a term that is a never-NULL column is left alone (its index still serves)."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.depth = 0
        self.open: list[int] = []  # paren depths of ORDER BY clauses being read
        self.term: list[tuple[str, str]] = []
        self.last_word = ""

    def see(self, out: list[str], kind: str, up: str) -> None:
        if kind == "ws" or kind == "comment":
            return
        if self.open and self.depth == self.open[-1]:
            if (kind == "op" and up in (",", ")")) or (kind == "word" and up in _CLAUSE_END):
                self._end_term(out, before_last=True)
                if not (kind == "op" and up == ","):
                    self.open.pop()
            else:
                self.term.append((kind, up))
        if kind == "op" and up == "(":
            self.depth += 1
        elif kind == "op" and up == ")":
            self.depth -= 1
            while self.open and self.open[-1] > self.depth:
                self.open.pop()
        if kind == "word" and up == "BY" and self.last_word == "ORDER":
            self.open.append(self.depth)
            self.term = []
        if kind == "word":
            self.last_word = up

    def sorting(self) -> bool:
        """Whether the tokens now going out are an ORDER BY term (not a nested expression of one)."""
        return bool(self.open) and self.depth == self.open[-1]

    def finish(self, out: list[str]) -> None:
        if self.open:
            self._end_term(out, before_last=False)

    def _end_term(self, out: list[str], *, before_last: bool) -> None:
        term, self.term = self.term, []
        if not term or any(k == "word" and w == "NULLS" for k, w in term):
            return
        words = [w for k, w in term if k == "word"]
        descending = words[-1] == "DESC" if words else False
        bare = [w for k, w in term if k in ("word", "ident") and w not in ("ASC", "DESC")]
        simple = all(k in ("word", "ident") or (k, w) == ("op", ".") for k, w in term)
        if simple and bare and bare[-1].strip('"').lower() in self.schema.never_null:
            return
        clause = " NULLS LAST" if descending else " NULLS FIRST"
        if before_last:
            at = len(out) - 1
            while at > 0 and not out[at - 1].strip():
                at -= 1  # before the whitespace that preceded the closing token
            out.insert(at, clause)
        else:
            out.append(clause)


_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"


def _sort_as_nocase(out: list[str]) -> None:
    """Wrap the column just written (``name``, ``sp.name``, ``"name"``) so that it sorts as SQLite's ``COLLATE
    NOCASE`` does: ASCII letters lower-cased, then byte order. (Comparisons keep the ``nocase`` collation.)"""
    end = len(out)
    while end > 0 and not out[end - 1].strip():
        end -= 1
    start = end
    while start > 0 and (
        out[start - 1] == "." or re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*|"[^"]*"', out[start - 1])
    ):
        start -= 1
    column = "".join(out[start:end])
    del out[start:]
    out.append(f"translate({column}, '{_UPPER}', '{_LOWER}') COLLATE \"C\"")


_CONDITION_BEFORE = {"WHERE", "AND", "OR", "NOT", "ON", "HAVING", "WHEN"}
_CONDITION_AFTER = {"", "AND", "OR", ")", "ORDER", "GROUP", "LIMIT", "THEN", "HAVING", "UNION", "OFFSET"}


_OPERAND_BEFORE = {
    "WHEN",
    "THEN",
    "ELSE",
    "AND",
    "OR",
    "NOT",
    "SELECT",
    "BY",
    "WHERE",
    "ON",
    "IS",
    "IN",
    "LIKE",
}


def _ends_expression(tokens: list, i: int) -> bool:
    """Whether the ``END`` at ``i`` closes a ``CASE`` (it follows a whole expression) rather than naming the
    column ``end`` (after ``WHEN``, an operator, a comma, an opening parenthesis or a dot)."""
    kind, before = next(
        ((k, v.upper()) for k, v in reversed(tokens[:i]) if k not in ("ws", "comment")), ("", "")
    )
    if kind == "op":
        return before == ")"
    return not (kind == "word" and before in _OPERAND_BEFORE)


def _is_condition(tokens: list, i: int) -> bool:
    """Whether the literal at ``i`` stands alone as a condition (``WHERE 1``, ``AND 0``, ``OR 1)``)."""
    before = next((v.upper() for k, v in reversed(tokens[:i]) if k not in ("ws", "comment")), "")
    after = next((v.upper() for k, v in tokens[i + 1 :] if k not in ("ws", "comment")), "")
    return before in _CONDITION_BEFORE and after in _CONDITION_AFTER


def _prev_word(tokens: list, i: int) -> str:
    for k, v in reversed(tokens[:i]):
        if k == "word":
            return v.upper()
        if k not in ("ws", "comment"):
            return ""
    return ""


def _next_word(tokens: list, i: int) -> str:
    for k, v in tokens[i + 1 :]:
        if k == "word":
            return v.upper()
        if k not in ("ws", "comment"):
            return ""
    return ""


def _next_kind(tokens: list, i: int) -> str:
    return _kind_after(tokens, i, 1)


def _kind_after(tokens: list, i: int, n: int) -> str:
    seen = 0
    for k, _ in tokens[i + 1 :]:
        if k in ("ws", "comment"):
            continue
        seen += 1
        if seen == n:
            return k
    return ""


def _skip_past_word(tokens: list, i: int, word: str) -> int:
    """The index after ``word`` (the next one from ``i``) and the whitespace that follows it."""
    j = i + 1
    while j < len(tokens) and not (tokens[j][0] == "word" and tokens[j][1].upper() == word):
        j += 1
    j += 1
    while j < len(tokens) and tokens[j][0] == "ws":
        j += 1
    return j


def _names_id(tokens: list, i: int) -> bool:
    """Whether the column list after the table name at ``i`` names ``id``."""
    j = i + 1
    while j < len(tokens) and tokens[j][0] == "ws":
        j += 1
    if j >= len(tokens) or tokens[j][1] != "(":
        return False
    depth = 0
    for k, v in tokens[j:]:
        if v == "(":
            depth += 1
        elif v == ")":
            depth -= 1
            if depth == 0:
                return False
        elif depth == 1 and k in ("word", "ident") and v.strip('"').lower() == "id":
            return True
    return False


# -- results -----------------------------------------------------------------------------------------------------


class _NumericLoader(Loader):
    """``numeric`` (``sum`` of integers, ``avg``) as SQLite gives it: an ``int`` when whole, else a ``float``."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        value = Decimal(text)
        return int(value) if value == value.to_integral_value() and "." not in text else float(value)


class _JsonbLoader(Loader):
    def load(self, data: Any) -> Any:
        import json

        return json.loads(bytes(data))


class PgCursor:
    """The results of one statement, as a ``sqlite3.Cursor`` gives them."""

    def __init__(self, rows: list[tuple], rowcount: int, lastrowid: int | None, description: Any):
        self._rows = rows
        self._at = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.description = description

    def fetchone(self) -> tuple | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    def fetchall(self) -> list[tuple]:
        rows, self._at = self._rows[self._at :], len(self._rows)
        return rows

    def fetchmany(self, size: int = 1) -> list[tuple]:
        rows = self._rows[self._at : self._at + size]
        self._at += len(rows)
        return rows

    def __iter__(self) -> Iterator[tuple]:
        while (row := self.fetchone()) is not None:
            yield row

    def close(self) -> None:
        self._rows = []


class _StreamingCursor(PgCursor):
    """A ``SELECT`` without parameters inside a read snapshot (``BEGIN``: ``dump``), read from a server-side
    cursor a batch at a time, so that a whole table is never held in memory at once."""

    def __init__(self, cursor: Any):
        super().__init__([], -1, None, cursor.description)
        self._cursor = cursor

    def fetchone(self) -> tuple | None:
        try:
            return self._cursor.fetchone()
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc) from exc

    def fetchall(self) -> list[tuple]:
        try:
            return self._cursor.fetchall()
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc) from exc

    def fetchmany(self, size: int = 1) -> list[tuple]:
        try:
            return self._cursor.fetchmany(size)
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc) from exc

    def __iter__(self) -> Iterator[tuple]:
        try:
            yield from self._cursor  # ``itersize`` rows a round trip
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc) from exc

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._cursor.close()


STREAM_BATCH = 2000
_ERRORS = (
    (psycopg.errors.IntegrityError, sqlite3.IntegrityError),
    (psycopg.errors.DataError, sqlite3.DataError),
    (psycopg.errors.ProgrammingError, sqlite3.OperationalError),
    (psycopg.errors.OperationalError, sqlite3.OperationalError),
    (psycopg.errors.NotSupportedError, sqlite3.NotSupportedError),
    (psycopg.errors.InternalError, sqlite3.InternalError),
)


def _as_sqlite_error(exc: psycopg.Error) -> sqlite3.Error:
    for theirs, ours in _ERRORS:
        if isinstance(exc, theirs):
            return ours(_message(exc))
    return sqlite3.DatabaseError(_message(exc))


def _message(exc: psycopg.Error) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    return primary or str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# PostgreSQL text cannot hold NUL, so no stored value contains one, and a value read with a NUL in it (a filter
# typed into a URL: ``?event=a%00b``) can match nothing. SQLite answers such a read with no rows; so does this
# adapter, by reading with U+FFFF (a Unicode noncharacter, never in a caption or a form) where the NUL was, instead
# of failing with "text fields cannot contain NUL". A write with a NUL is refused as bad input (a 400 on the web),
# naming the character, before it reaches the server.
_NUL_IN_READS = "\uffff"


def _param(value: Any, reading: bool = False) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and "\x00" in value:
        if not reading:
            raise CatalogError("text cannot contain a NUL character (\\x00) in a PostgreSQL catalog")
        return value.replace("\x00", _NUL_IN_READS)
    return value


def _params(params: Any, reading: bool = False) -> Any:
    if params is None:
        return ()
    if isinstance(params, dict):
        return {k: _param(v, reading) for k, v in params.items()}
    return tuple(_param(v, reading) for v in params)


_WRITE_LOCK = (
    "UPDATE data_version SET counter = counter + 1, modified = extract(epoch FROM clock_timestamp()); "
    "SELECT set_config('uscm.version_moved', '1', true)"
)


class PgConnection:
    """The subset of ``sqlite3.Connection`` the catalog uses, over psycopg (autocommit; the catalog's
    ``BEGIN``/``COMMIT`` statements make its transactions).

    It holds a connection of the pool only while it needs one: for one statement outside a transaction, or from
    ``BEGIN`` to its end. So a web process may keep one ``Catalog`` per worker thread (as it does on SQLite)
    without keeping as many database connections open: they are as many as the statements running at once."""

    dialect = "postgresql"

    def __init__(self, pool: psycopg_pool.ConnectionPool | None, schema: Schema, raw=None):
        self._pool = pool  # None: ``raw`` is lent by the caller for the connection's whole life
        self._raw = raw
        self.schema = schema
        self._explicit_ids = False
        self.in_transaction = False
        self.closed = False
        self._pinned = False
        self._snapshot = False  # in a read snapshot (deferred BEGIN): SELECTs stream
        self._streams = 0

    @property
    def raw(self) -> psycopg.Connection:
        """The psycopg connection itself, for code that must speak to it directly: from the first use on, this
        ``PgConnection`` keeps it until it is closed (statements through ``execute`` no longer give it back)."""
        if self.closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        if self._raw is None:
            try:
                self._raw = self._pool.getconn()
            except psycopg_pool.PoolTimeout as exc:
                raise sqlite3.OperationalError(f"no free connection to the catalog: {exc}") from exc
            except (
                psycopg_pool.PoolClosed
            ) as exc:  # the process is shutting its catalog: as a closed SQLite file
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.") from exc
        self._pinned = True
        return self._raw

    @contextlib.contextmanager
    def _leased(self) -> Iterator[psycopg.Connection]:
        if self.closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        if self._raw is None:
            try:
                self._raw = self._pool.getconn()
            except psycopg_pool.PoolTimeout as exc:
                raise sqlite3.OperationalError(f"no free connection to the catalog: {exc}") from exc
            except (
                psycopg_pool.PoolClosed
            ) as exc:  # the process is shutting its catalog: as a closed SQLite file
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.") from exc
        try:
            yield self._raw
        finally:
            self._give_back()

    def _give_back(self, *, closing: bool = False) -> None:
        if self._pinned and not closing:
            return
        if self._pool is not None and self._raw is not None and not self.in_transaction:
            raw, self._raw = self._raw, None
            self._pool.putconn(raw)

    def execute(self, sql: str, params: Any = ()) -> PgCursor:
        statement = translate(sql, self.schema)
        if self._snapshot and statement.kind in ("SELECT", "WITH") and not params:
            return self._stream(statement, params)  # a whole table's read; lookups by a value run as usual
        with self._leased() as raw:
            if statement.kind == "COMMIT" and self._explicit_ids:
                self._sync_ids(raw)
            try:
                with raw.cursor() as cur:
                    cur.execute(statement.text, _params(params, statement.kind in ("SELECT", "WITH")))
                    rows = cur.fetchall() if cur.description is not None else []
                    result = PgCursor(rows, cur.rowcount, None, cur.description)
            except psycopg.Error as exc:
                raise _as_sqlite_error(exc) from exc
            self._track(statement, raw)
            if statement.write_lock:
                self._take_write_lock(raw)
        if statement.returns_id and rows:
            result.lastrowid = rows[0][0]
            result._rows = []
        return result

    def _stream(self, statement: Statement, params: Any) -> PgCursor:
        self._streams += 1
        with self._leased() as raw:
            cursor = raw.cursor(name=f"uscm_stream_{self._streams}")
            cursor.itersize = STREAM_BATCH
            try:
                cursor.execute(statement.text, _params(params))
            except psycopg.Error as exc:
                raise _as_sqlite_error(exc) from exc
        return _StreamingCursor(cursor)

    def executemany(self, sql: str, seq_of_params: Iterable[Any]) -> PgCursor:
        statement = translate(sql, self.schema)
        text = statement.text.removesuffix(" RETURNING id") if statement.returns_id else statement.text
        with self._leased() as raw:
            try:
                with raw.cursor() as cur:
                    cur.executemany(text, [_params(p) for p in seq_of_params])
                    result = PgCursor([], cur.rowcount, None, None)
            except psycopg.Error as exc:
                raise _as_sqlite_error(exc) from exc
            self._track(statement, raw)
        return result

    def _track(self, statement: Statement, raw: psycopg.Connection) -> None:
        if statement.kind == "BEGIN":
            self.in_transaction = True
            self._snapshot = not statement.write_lock
        elif statement.kind in ("COMMIT", "ROLLBACK", "END"):
            self.in_transaction = False
            self._snapshot = False
            self._explicit_ids = False
        elif statement.explicit_id:
            if self.in_transaction:
                self._explicit_ids = True
            else:
                self._sync_ids(raw)

    def _take_write_lock(self, raw: psycopg.Connection) -> None:
        """Begin a write transaction as SQLite's ``BEGIN IMMEDIATE`` does: wait for, then hold, the one write lock
        (the data version's row, moved here once for the whole transaction), so that what it reads before it
        writes is not changed under it by another writer."""
        try:
            raw.execute(_WRITE_LOCK)
        except psycopg.Error as exc:
            with contextlib.suppress(psycopg.Error):
                raw.execute("ROLLBACK")
            self.in_transaction = False
            raise _as_sqlite_error(exc) from exc

    def _sync_ids(self, raw: psycopg.Connection) -> None:
        try:
            raw.execute("SELECT uscm_sync_id_sequences()")
        except psycopg.Error as exc:
            raise _as_sqlite_error(exc) from exc
        self._explicit_ids = False

    def native(self, sql: str, params: Any = None) -> list[tuple]:
        """Run a statement written in PostgreSQL's own dialect (no translation; psycopg placeholders): for the
        few functions that are PostgreSQL's alone (``catalog/ops/pg_check.py``). ``BEGIN``, ``COMMIT`` and
        ``ROLLBACK`` hold and give back the connection as ``execute`` does."""
        word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        with self._leased() as raw:
            try:
                with raw.cursor() as cur:
                    cur.execute(sql, params)
                    rows = cur.fetchall() if cur.description is not None else []
            except psycopg.Error as exc:
                raise _as_sqlite_error(exc) from exc
            finally:
                if word == "BEGIN":
                    self.in_transaction = True
                elif word in ("COMMIT", "ROLLBACK"):
                    self.in_transaction = False
        return rows

    def columns(self, table: str) -> list[str]:
        """The columns of ``table`` (or view) in order, as ``sqlite_utils``' ``columns_dict`` gives them; generated
        ones (the search's ``search_tsv``/``search_len``, ``catalog/search/pg_schema.py``) are the server's, not data."""
        return [
            row[0]
            for row in self.native(
                "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 "
                "AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum",
                (table,),
            )
        ]

    def create_function(self, name: str, *args: Any, **kwargs: Any) -> None:
        raise sqlite3.NotSupportedError(
            f"create_function({name!r}): a Python function inside a statement is SQLite's; on PostgreSQL this "
            "statement needs its own form"
        )

    def commit(self) -> None:
        """Nothing to do: every statement outside a ``BEGIN`` commits on its own, as with ``isolation_level=None``."""

    def rollback(self) -> None:
        if self.in_transaction:
            self.execute("ROLLBACK")

    def close(self) -> None:
        if self.closed:
            return
        if self._raw is not None and self.in_transaction:
            with contextlib.suppress(psycopg.Error):
                self._raw.execute("ROLLBACK")
        self.in_transaction = self._snapshot = False
        self._give_back(closing=True)
        self._pinned = False
        self.closed = True


class PgDatabase:
    """What ``catalog/`` holds as ``Catalog.db`` on PostgreSQL: the place of a ``sqlite_utils.Database``, with the
    connection as ``.conn`` and ``execute`` as a shortcut."""

    def __init__(self, conn: PgConnection, url: str):
        self.conn = conn
        self.url = url

    def execute(self, sql: str, params: Any = ()) -> PgCursor:
        return self.conn.execute(sql, params)

    def close(self) -> None:
        self.conn.close()


# -- pools, migrations, the data version -------------------------------------------------------------------------

_pools: dict[str, tuple[psycopg_pool.ConnectionPool, Schema]] = {}
_pools_lock = threading.Lock()


def _configure(conn: psycopg.Connection) -> None:
    conn.adapters.register_loader("numeric", _NumericLoader)
    conn.adapters.register_loader("jsonb", _JsonbLoader)
    conn.adapters.register_loader("json", _JsonbLoader)


def _pool(url: str) -> tuple[psycopg_pool.ConnectionPool, Schema]:
    with _pools_lock:
        found = _pools.get(url)
        if found is not None:
            return found
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                migrate(conn)
                schema = _schema_of(conn)
        except psycopg.Error as exc:
            raise CatalogError(f"{safe_url(url)}: cannot open the catalog: {_message(exc)}") from exc
        pool = psycopg_pool.ConnectionPool(
            url,
            min_size=0,
            max_size=POOL_MAX,
            kwargs={"autocommit": True},
            configure=_configure,
            open=True,
            timeout=30,
            name=f"uscm-{hashlib.sha256(url.encode()).hexdigest()[:8]}",
        )
        _pools[url] = (pool, schema)
        return pool, schema


def open_database(url: str) -> PgDatabase:
    """A ``PgDatabase`` on a pooled connection to ``url``, the catalog migrated to the current schema."""
    pool, schema = _pool(url)
    return PgDatabase(PgConnection(pool, schema), url)


def close_pools() -> None:
    """Close every pool of this process (tests dropping their databases; a server shutting down)."""
    with _pools_lock:
        pools = list(_pools.values()) + list(_replica_pools.values())
        _pools.clear()
        _replica_pools.clear()
    for pool, _ in pools:
        pool.close()


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def migrate(conn: psycopg.Connection) -> None:
    """Apply the migrations this database lacks, one transaction each, one process at a time."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            conn.execute("INSERT INTO schema_version VALUES (0)")
            version = 0
        else:
            version = row[0]
    if version > SCHEMA_VERSION:
        raise CatalogError(
            f"the catalog has schema version {version}, newer than this program knows ({SCHEMA_VERSION})"
        )
    for number in range(version, SCHEMA_VERSION):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            current = conn.execute("SELECT version FROM schema_version").fetchone()[0]
            if current > number:
                continue  # another process applied it meanwhile
            if MIGRATIONS[number].strip():
                conn.execute(MIGRATIONS[number])
            conn.execute("SELECT uscm_track_writes()")
            conn.execute("UPDATE schema_version SET version = %s", (number + 1,))


def schema_version(conn: PgConnection) -> int:
    return conn.execute("SELECT version FROM schema_version").fetchone()[0]


def _schema_of(conn: psycopg.Connection) -> Schema:
    rows = conn.execute(
        "SELECT c.relname, a.attname, a.attnotnull FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v') "
        "AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped"
    ).fetchall()
    id_tables = {table for table, column, _ in rows if column == "id"}
    nullable = {column for table, column, not_null in rows if not not_null and table != "segments"}
    columns = {column for _, column, _ in rows}
    return Schema(frozenset(id_tables), frozenset(columns - nullable))


def data_version(conn: PgConnection) -> DataVersion:
    """The catalog's data version on PostgreSQL: the counter every write transaction moves, with the database's
    epoch (equal tokens mean the same data, in every process and on every node)."""
    epoch, counter, modified = conn.execute("SELECT epoch, counter, modified FROM data_version").fetchone()
    token = hashlib.sha256(f"{epoch}:{counter}".encode()).hexdigest()[:16]
    return DataVersion(token, float(modified))


def version_at(url: str) -> DataVersion:
    """``data_version`` of the catalog at ``url`` on a pooled connection (cheap: one indexed row). A catalog that
    cannot be reached has a version of its own each time (as a missing file has): a cache miss, never a stale
    answer; opening it is what reports the problem."""
    try:
        pool, schema = _pool(url)
        with pool.connection() as raw:
            return data_version(PgConnection(None, schema, raw=raw))
    except (CatalogError, psycopg.Error, sqlite3.Error, psycopg_pool.PoolTimeout):
        return DataVersion(os.urandom(8).hex(), 0.0)


def run_statements(conn: PgConnection, statements: Sequence[str]) -> None:
    """Run DDL or other statement text as given (PostgreSQL's own dialect, no translation)."""
    for statement in statements:
        conn.native(statement)


# -- read replicas (streaming standbys) ---------------------------------------------------------------------------
# A standby is read-only and replays the primary's WAL: it is never migrated (its schema comes from the primary's),
# and its pool gives up quickly (a standby that does not answer is skipped, not waited for: catalog/replicas.py).

REPLICA_CONNECT_TIMEOUT = 2  # seconds to connect to a standby
REPLICA_POOL_TIMEOUT = 2.0  # seconds to wait for a pooled standby connection
REPLICA_STATEMENT_TIMEOUT_MS = 30_000

_replica_pools: dict[str, tuple[psycopg_pool.ConnectionPool, Schema]] = {}


def _replica_pool(url: str) -> tuple[psycopg_pool.ConnectionPool, Schema]:
    with _pools_lock:
        found = _replica_pools.get(url)
        if found is not None:
            return found
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=REPLICA_CONNECT_TIMEOUT) as conn:
                row = conn.execute(
                    "SELECT version FROM schema_version"
                ).fetchone()  # no migration: a standby has the primary's schema
                if row is None or row[0] != SCHEMA_VERSION:
                    raise CatalogError(
                        f"{safe_url(url)}: the replica's catalog has schema version {row[0] if row else 'none'}, "
                        f"not {SCHEMA_VERSION} (is it a standby of this catalog, and has it caught up?)"
                    )
                schema = _schema_of(conn)
        except psycopg.Error as exc:
            raise CatalogError(f"{safe_url(url)}: cannot open the replica: {_message(exc)}") from exc
        pool = psycopg_pool.ConnectionPool(
            url,
            min_size=0,
            max_size=POOL_MAX,
            kwargs={
                "autocommit": True,
                "connect_timeout": REPLICA_CONNECT_TIMEOUT,
                "options": f"-c statement_timeout={REPLICA_STATEMENT_TIMEOUT_MS}",
            },
            configure=_configure,
            check=psycopg_pool.ConnectionPool.check_connection,  # a standby restarted: no dead connection handed out
            open=True,
            timeout=REPLICA_POOL_TIMEOUT,
            reconnect_timeout=0,
            name=f"uscm-replica-{hashlib.sha256(url.encode()).hexdigest()[:8]}",
        )
        _replica_pools[url] = (pool, schema)
        return pool, schema


def open_replica(url: str) -> PgDatabase:
    """A ``PgDatabase`` on a pooled connection to the standby at ``url`` (read-only, not migrated)."""
    pool, schema = _replica_pool(url)
    return PgDatabase(PgConnection(pool, schema), url)


def replica_version_at(url: str) -> DataVersion:
    """``data_version`` as the standby at ``url`` has replayed it."""
    pool, schema = _replica_pool(url)
    try:
        with pool.connection() as raw:
            return data_version(PgConnection(None, schema, raw=raw))
    except (psycopg.Error, sqlite3.Error, psycopg_pool.PoolTimeout) as exc:
        raise CatalogError(f"{safe_url(url)}: cannot read the replica's data version: {exc}") from exc


def lsn_value(text: str) -> int:
    """A WAL position ``'16/B374D848'`` as a number (they compare as numbers)."""
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def primary_position(url: str) -> int:
    """The primary's current WAL position (what a write just committed there is at, or before)."""
    pool, _ = _pool(url)
    try:
        with pool.connection(timeout=REPLICA_POOL_TIMEOUT) as raw:
            return lsn_value(raw.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0])
    except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
        raise CatalogError(f"{safe_url(url)}: cannot read the WAL position: {_message_of(exc)}") from exc


def replica_position(url: str) -> int:
    """The WAL position the standby at ``url`` has replayed (CatalogError if it does not answer, or is not a
    standby)."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=REPLICA_CONNECT_TIMEOUT) as raw:
            recovering, replayed = raw.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"
            ).fetchone()
    except psycopg.Error as exc:
        raise CatalogError(f"{safe_url(url)}: the replica does not answer: {_message(exc)}") from exc
    if not recovering or replayed is None:
        raise CatalogError(f"{safe_url(url)}: not a streaming standby (pg_is_in_recovery() is false)")
    return lsn_value(replayed)


def connection_lost(conn: PgConnection) -> bool:
    """Whether ``conn`` is closed or holds a connection the server dropped (one it leases per statement is
    checked when next taken from the pool)."""
    raw = conn._raw
    return conn.closed or (raw is not None and (raw.closed or raw.broken))


def _message_of(exc: Exception) -> str:
    return _message(exc) if isinstance(exc, psycopg.Error) else str(exc)
