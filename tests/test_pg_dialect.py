"""The SQLite-dialect statements of the catalog, as PostgreSQL is given them (``catalog/store/pg.py``): each rule
of the translation on the statement shapes the catalog writes. What the rules are for (the same rows in the same
order on both backends) is tested against a real server in the backend-parametrized tests."""

from __future__ import annotations

import sqlite3

import pytest

from catalog.store.pg import Schema, translate

SCHEMA = Schema(id_tables=frozenset({"sessions", "segments"}), never_null=frozenset({"id", "position"}))


def text(sql: str) -> str:
    return translate(sql, SCHEMA).text


@pytest.mark.parametrize(
    ("sqlite", "postgresql"),
    [
        (
            "SELECT id FROM sessions WHERE id = ? AND title = ?",
            "SELECT id FROM sessions WHERE id = %s AND title = %s",
        ),
        (
            "SELECT * FROM sessions WHERE source_key = :key",
            "SELECT * FROM sessions WHERE source_key = %(key)s",
        ),
        (
            "SELECT 1 FROM items WHERE key LIKE 'transcribe:%'",
            "SELECT 1 FROM items WHERE key ILIKE 'transcribe:%%'",
        ),
        ("SELECT count(*) FROM sessions WHERE 1", "SELECT count(*) FROM sessions WHERE TRUE"),
        (
            "SELECT 1 FROM sessions WHERE status = 'x' AND 0",
            "SELECT 1 FROM sessions WHERE status = 'x' AND FALSE",
        ),
        ("SELECT id FROM sessions WHERE id IN (1)", "SELECT id FROM sessions WHERE id IN (1)"),
        ("SELECT start, end FROM chapters", 'SELECT start, "end" FROM chapters'),
        (
            "SELECT CASE WHEN end > 1 THEN 'a' ELSE 'b' END FROM chapters",
            """SELECT CASE WHEN "end" > 1 THEN 'a' ELSE 'b' END FROM chapters""",
        ),
        (
            "SELECT id FROM speakers WHERE merged_into IS ?",
            "SELECT id FROM speakers WHERE merged_into IS NOT DISTINCT FROM %s",
        ),
        (
            "SELECT id FROM speakers WHERE merged_into IS NOT ?",
            "SELECT id FROM speakers WHERE merged_into IS DISTINCT FROM %s",
        ),
        (
            "SELECT id FROM speakers WHERE merged_into IS NULL",
            "SELECT id FROM speakers WHERE merged_into IS NULL",
        ),
        (
            "SELECT title FROM sessions ORDER BY date DESC, title",
            "SELECT title FROM sessions ORDER BY date DESC NULLS LAST, title NULLS FIRST",
        ),
        (
            "SELECT id FROM segments ORDER BY position, id LIMIT 5",
            "SELECT id FROM segments ORDER BY position, id LIMIT 5",
        ),
        (
            "SELECT id FROM sessions ORDER BY date DESC NULLS LAST",
            "SELECT id FROM sessions ORDER BY date DESC NULLS LAST",
        ),
        (
            "SELECT name FROM speakers sp ORDER BY sp.name COLLATE NOCASE",
            "SELECT name FROM speakers sp ORDER BY translate(sp.name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
            "'abcdefghijklmnopqrstuvwxyz') COLLATE \"C\" NULLS FIRST",
        ),
        (
            "SELECT id FROM topics WHERE name = ? COLLATE NOCASE",
            "SELECT id FROM topics WHERE name = %s COLLATE NOCASE",
        ),
        ("BEGIN IMMEDIATE", "BEGIN"),
        ("BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ"),
    ],
)
def test_each_rule(sqlite, postgresql):
    assert text(sqlite) == postgresql


def test_an_insert_gives_its_id_and_says_when_it_names_one():
    plain = translate("INSERT INTO sessions (title) VALUES (?)", SCHEMA)
    assert plain.text == "INSERT INTO sessions (title) VALUES (%s) RETURNING id" and plain.returns_id
    assert not plain.explicit_id
    given = translate("INSERT INTO segments (id, text) VALUES (?, ?)", SCHEMA)
    assert given.explicit_id and given.returns_id
    ignored = translate("INSERT OR IGNORE INTO session_topics (session_id, topic_id) VALUES (?, ?)", SCHEMA)
    assert (
        ignored.text
        == "INSERT INTO session_topics (session_id, topic_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"
    )
    assert not ignored.returns_id  # no id column there


def test_what_cannot_be_translated_is_refused_by_name():
    with pytest.raises(sqlite3.OperationalError, match="PRAGMA"):
        translate("PRAGMA foreign_keys = ON", SCHEMA)
    with pytest.raises(sqlite3.OperationalError, match="INSERT OR REPLACE"):
        translate("INSERT OR REPLACE INTO sessions (id) VALUES (?)", SCHEMA)


def test_postgresql_migrations_are_numbered_as_sqlites():
    """A migration added to SQLite's list needs its PostgreSQL counterpart (empty when it is full-text search's,
    which the PostgreSQL search keeps in its own way): versions mean the same on both backends."""
    from catalog.store.schema import MIGRATIONS as SQLITE
    from catalog.store.schema_pg import MIGRATIONS as POSTGRESQL

    assert len(POSTGRESQL) == len(SQLITE)
