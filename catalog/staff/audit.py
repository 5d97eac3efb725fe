"""The audit log: who changed what, and when. Every staff edit writes its entry in the edit's own transaction."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

import sqlite_utils

from catalog.store.db import transaction, utcnow


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    user_name: str | None
    session_id: int | None
    action: str
    detail: dict = field(default_factory=dict, hash=False, compare=False)
    session_title: str | None = None


def record(conn: sqlite3.Connection, by: str | None, session_id: int | None, action: str, **detail) -> None:
    """Write one audit entry on ``conn`` (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO audit (at, user_name, session_id, action, detail) VALUES (?, ?, ?, ?, ?)",
        (utcnow(), by, session_id, action, json.dumps(detail, ensure_ascii=False, default=str)),
    )


def touch_session(conn: sqlite3.Connection, session_id: int) -> None:
    conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (utcnow(), session_id))


class AuditLog:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def note(self, by: str | None, session_id: int | None, action: str, **detail) -> None:
        """Record something done outside the staff edits (an upload, an ingest started from the browser)."""
        with transaction(self.db) as conn:
            record(conn, by, session_id, action, **detail)

    def recent(self, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
        return self._query("", (), limit, offset)

    def for_session(self, session_id: int, limit: int = 200) -> list[AuditEntry]:
        return self._query("WHERE a.session_id = ?", (session_id,), limit, 0)

    def _query(self, where: str, params: tuple, limit: int, offset: int) -> list[AuditEntry]:
        rows = self.db.conn.execute(
            "SELECT a.id, a.at, a.user_name, a.session_id, a.action, a.detail, s.title "
            f"FROM audit a LEFT JOIN sessions s ON s.id = a.session_id {where} "
            "ORDER BY a.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], _detail(r[5]), r[6]) for r in rows]


def _detail(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {"raw": text}
    return value if isinstance(value, dict) else {"value": value}
