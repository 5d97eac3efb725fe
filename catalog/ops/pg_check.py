"""``check`` on a PostgreSQL catalog: structural checks, the counterpart of SQLite's (``catalog/ops/backup.py``).

PostgreSQL keeps its own pages consistent (there is no ``integrity_check`` to run) and enforces its foreign keys
as it writes, so the checks here are those of what the catalog itself keeps:

- the schema is exactly the one this program makes for the catalog's version: the tables with their columns,
  indexes, views, triggers and functions are compared with a fresh copy made by the migrations inside a
  transaction that is rolled back (nothing of it stays);
- every session's ``segment_count`` and ``has_transcript`` agree with its stored segments;
- every segment is in its session's year's partition, and no segment version outlives its segment (the one
  reference a partitioned table cannot hold as a foreign key);
- every id sequence is past the largest id of its table (or the next insert would fail);
- the data version's row is there.

Full-text indexes are the PostgreSQL search's to check (``catalog/search/``).
"""

from __future__ import annotations

import re

from catalog.ops.backup import session_count_problems
from catalog.store.schema_pg import MIGRATIONS

EXPECTED = "uscm_expected_schema"

_OBJECTS = """
SELECT 'table ' || c.relname, string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
        || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
        || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
        || coalesce(' collate ' || co.collname, ''), ', ' ORDER BY a.attnum)
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 100
WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
GROUP BY c.relname
UNION ALL
SELECT 'index ' || i.relname, pg_get_indexdef(i.oid)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relnamespace = %(schema)s::regnamespace AND NOT t.relispartition
UNION ALL
SELECT 'view ' || c.relname, pg_get_viewdef(c.oid)
FROM pg_class c WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind = 'v'
UNION ALL
SELECT 'trigger ' || g.tgname || ' on ' || c.relname, pg_get_triggerdef(g.oid)
FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
WHERE c.relnamespace = %(schema)s::regnamespace AND NOT g.tgisinternal AND NOT c.relispartition
UNION ALL
SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       CASE WHEN p.prokind = 'a' THEN 'aggregate' ELSE pg_get_functiondef(p.oid) END
FROM pg_proc p WHERE p.pronamespace = %(schema)s::regnamespace
UNION ALL
SELECT 'constraint ' || n.conname || ' on ' || c.relname, pg_get_constraintdef(n.oid)
FROM pg_constraint n JOIN pg_class c ON c.oid = n.conrelid
WHERE c.relnamespace = %(schema)s::regnamespace AND NOT c.relispartition
"""


def _objects(conn, schema: str) -> dict[str, str]:
    rows = conn.native(_OBJECTS, {"schema": schema})
    qualified = re.compile(rf"\b{re.escape(schema)}\.")
    return {name: qualified.sub("", definition or "") for name, definition in rows}


def _expected(conn, version: int) -> dict[str, str]:
    """The objects of a catalog freshly migrated to ``version``, made in a scratch schema and rolled back."""
    conn.native("BEGIN")
    try:
        conn.native(f"CREATE SCHEMA {EXPECTED}")
        conn.native(f"SET LOCAL search_path = {EXPECTED}, pg_catalog")
        conn.native("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for script in MIGRATIONS[:version]:
            if script.strip():
                conn.native(script)
            conn.native("SELECT uscm_track_writes()")
        return _objects(conn, EXPECTED)
    finally:
        conn.native("ROLLBACK")


def schema_problems(conn) -> list[str]:
    """Every object of the PostgreSQL catalog behind ``conn`` that differs from its schema version's."""
    version = conn.native("SELECT version FROM schema_version")[0][0]
    if not 1 <= version <= len(MIGRATIONS):
        return [f"unknown schema version {version} (this program knows versions 1 to {len(MIGRATIONS)})"]
    schema = conn.native("SELECT current_schema()")[0][0]
    expected, actual = _expected(conn, version), _objects(conn, schema)
    problems = [
        f"extra {name}: not part of schema version {version}" for name in sorted(actual - expected.keys())
    ]
    problems += [
        f"missing {name} (schema version {version} has it)" for name in sorted(expected - actual.keys())
    ]
    problems += [
        f"altered {name}: differs from schema version {version}"
        for name in sorted(expected.keys() & actual.keys())
        if expected[name] != actual[name]
    ]
    return problems


def check_connection(conn) -> list[str]:
    """Every problem found in the PostgreSQL catalog behind ``conn``, one line each; empty means sound."""
    problems = schema_problems(conn)
    if problems:  # a schema that is not ours cannot be trusted for the finer checks
        return problems
    problems += session_count_problems(conn)
    problems += [
        f"segment {segment_id}: stored under year {year}, its session {session_id} is of {wanted}"
        for segment_id, year, session_id, wanted in conn.native(
            "SELECT r.id, r.year, r.session_id, uscm_year(s.date) FROM segment_rows r "
            "JOIN sessions s ON s.id = r.session_id WHERE r.year <> uscm_year(s.date) ORDER BY r.id LIMIT 20"
        )
    ]
    problems += [
        f"segment_versions row {version_id}: its segment {segment_id} is gone"
        for version_id, segment_id in conn.native(
            "SELECT v.id, v.segment_id FROM segment_versions v "
            "WHERE NOT EXISTS (SELECT 1 FROM segment_rows r WHERE r.id = v.segment_id) ORDER BY v.id LIMIT 20"
        )
    ]
    problems += _sequences(conn)
    if conn.native("SELECT count(*) FROM data_version")[0][0] != 1:
        problems.append("data_version: its one row is missing")
    return problems


def _sequences(conn) -> list[str]:
    problems = []
    tables = conn.native(
        "SELECT * FROM (SELECT c.relname, pg_get_serial_sequence(c.oid::regclass::text, 'id') AS seq "
        "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id' "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
        "AND NOT c.relispartition OFFSET 0) AS with_id WHERE seq IS NOT NULL ORDER BY relname"
    )
    for table, sequence in tables:
        top, last, called = conn.native(
            f'SELECT (SELECT max(id) FROM "{table}"), last_value, is_called FROM {sequence}'
        )[0]
        if top is not None and (last < top or (last == top and not called)):
            problems.append(f"{table}: its id sequence ({last}) is behind its largest id ({top})")
    return problems
