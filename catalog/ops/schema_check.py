"""The catalog's schema must be exactly one this program made: every ``sqlite_master`` row compared.

A catalog file from elsewhere (a backup to restore, the archive a dump is loaded into) can carry objects that
run code inside the archive: a trigger ``AFTER INSERT ON audit BEGIN DELETE FROM sessions; END`` would delete
every session on the next staff edit. So the schema of schema version N is rebuilt in memory from the
migrations 1..N and compared object by object (type, name, table, SQL text): an extra, missing or altered
table, index, trigger or view is a problem naming it. SQLite's own statistics tables (``sqlite_stat1``, made by
``ANALYZE``) hold no code and are allowed.
"""

from __future__ import annotations

import functools
import sqlite3

from catalog.store.db import dialect
from catalog.store.schema import MIGRATIONS

_ALLOWED_INTERNAL = ("sqlite_stat1", "sqlite_stat4", "sqlite_sequence")

SchemaRow = tuple[str, str, str | None]  # (type, table it belongs to, SQL)


@functools.lru_cache(maxsize=8)
def expected_schema(version: int) -> dict[str, SchemaRow]:
    """``name -> (type, table, sql)`` of a catalog freshly made at schema ``version``."""
    from catalog.store.db import _statements

    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for script in MIGRATIONS[:version]:
            for statement in _statements(script):
                conn.execute(statement)
        return _schema_of(conn)
    finally:
        conn.close()


def _schema_of(conn: sqlite3.Connection) -> dict[str, SchemaRow]:
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM main.sqlite_master").fetchall()
    return {name: (kind, table, sql) for kind, name, table, sql in rows if name not in _ALLOWED_INTERNAL}


def schema_problems(conn: sqlite3.Connection) -> list[str]:
    """Every object of the catalog behind ``conn`` that differs from its schema version's, one line each."""
    if dialect(conn) == "postgresql":
        from catalog.ops.pg_check import schema_problems as pg_schema_problems

        return pg_schema_problems(conn)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if not 1 <= version <= len(MIGRATIONS):
        return [f"unknown schema version {version} (this program knows versions 1 to {len(MIGRATIONS)})"]
    expected, actual = expected_schema(version), _schema_of(conn)
    problems = []
    for name in sorted(actual.keys() - expected.keys()):
        kind, table, _ = actual[name]
        problems.append(f"extra {kind} {name!r} on {table!r}: not part of schema version {version}")
    for name in sorted(expected.keys() - actual.keys()):
        kind, table, _ = expected[name]
        problems.append(f"missing {kind} {name!r} on {table!r} (schema version {version} has it)")
    for name in sorted(expected.keys() & actual.keys()):
        if expected[name] != actual[name]:
            kind, table, _ = actual[name]
            problems.append(f"altered {kind} {name!r} on {table!r}: differs from schema version {version}")
    return problems
