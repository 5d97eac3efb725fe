"""What every file of the data folder should be: the catalog's record of each file as it was placed.

Media have their size and sha256 in ``sessions`` (``media_size``, ``media_sha256``); raw caption files are
recorded in ``data_files`` when placed (by an ingest or a ``load``). ``expected_files`` lists every file the catalog
refers to with what is known of it, for ``check`` to verify; a caption placed before its hash was recorded
(an older catalog) is checked for presence only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from catalog.store.db import transaction


@dataclass(frozen=True)
class ExpectedFile:
    path: str  # relative to the data folder
    kind: str  # "media" or "caption"
    session_id: int
    size: int | None = None  # None: not recorded
    sha256: str | None = None


def record_files(conn: sqlite3.Connection, files: Iterable[tuple[str, int, str]]) -> None:
    """Note (path, size, sha256) of placed files, inside the caller's transaction."""
    conn.executemany(
        "INSERT INTO data_files (path, size, sha256) VALUES (?, ?, ?)"
        " ON CONFLICT (path) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256",
        list(files),
    )


class DataFiles:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def record(self, files: Iterable[tuple[str, int, str]]) -> None:
        with transaction(self.db) as conn:
            record_files(conn, files)

    def expected_files(self) -> list[ExpectedFile]:
        conn = self.db.conn
        media = conn.execute(
            "SELECT media_path, id, media_size, media_sha256 FROM sessions WHERE media_path IS NOT NULL"
            " ORDER BY id"
        ).fetchall()
        captions = conn.execute(
            "SELECT t.raw_path, t.session_id, f.size, f.sha256 FROM tracks t"
            " LEFT JOIN data_files f ON f.path = t.raw_path WHERE t.raw_path IS NOT NULL ORDER BY t.id"
        ).fetchall()
        return [ExpectedFile(p, "media", s, size, sha) for p, s, size, sha in media] + [
            ExpectedFile(p, "caption", s, size, sha) for p, s, size, sha in captions
        ]
