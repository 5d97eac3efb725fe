"""Reading a catalog file the way an outsider would: a plain SQLite connection of the test's own."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def sql_dump(path: Path) -> list[str]:
    """The whole catalog as SQL text: equal dumps mean nothing changed (not even the audit log)."""
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


def scalar(path: Path, sql: str, params: tuple = ()):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def sql_rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
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
