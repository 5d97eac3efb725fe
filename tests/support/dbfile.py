"""Reading a catalog file the way an outsider would: a plain SQLite connection of the test's own (or, for a
PostgreSQL catalog's URL, a plain psycopg connection: ``?`` placeholders are written ``%s`` for it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def _pg_rows(url: str, sql: str, params: tuple) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return [tuple(row) for row in conn.execute(sql.replace("?", "%s"), params)]


def sql_dump(path: Path | str) -> list[str]:
    """The whole catalog as SQL text: equal dumps mean nothing changed (not even the audit log)."""
    if isinstance(path, str):
        from tests.pg_server import table_rows

        return table_rows(path)
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so a plain copy of the file holds everything."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def scalar(path: Path | str, sql: str, params: tuple = ()):
    if isinstance(path, str):
        return _pg_rows(path, sql, params)[0][0]
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def sql_rows(path: Path | str, sql: str, params: tuple = ()) -> list[tuple]:
    if isinstance(path, str):
        return _pg_rows(path, sql, params)
    conn = sqlite3.connect(path)
    try:
        return [tuple(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def execute(path: Path, sql: str, params: tuple = ()) -> None:
    """One write the test makes behind the catalog's back (a state no command produces)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()
