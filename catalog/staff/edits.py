"""Staff edits to sessions: metadata, event, speakers credited, topics, chapters, reviewed flag, status.

Every method is one transaction that also writes its audit entry (``by`` is the staffer's name). Nothing is
deleted: retracting hides a session, restoring shows it again. Search follows at once: the FTS5 triggers on
``sessions`` and ``segments`` update the indexes in the same transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from catalog.errors import CatalogError, Conflict, NotFound
from catalog.staff.audit import AuditLog, record, touch_session
from catalog.staff.events import resolve_event
from catalog.store.db import transaction, utcnow
from catalog.store.field_limits import FIELD_LIMITS
from catalog.store.names import clean_role, credit_speaker, ensure_speaker, ensure_topic
from catalog.store.values import check_date

EDITABLE_FIELDS = (
    "title",
    "date",
    "event",
    "description",
    "source_url",
    "video_url",
    "thumbnail_url",
    "language",
    "tags",
)
_URL_FIELDS = ("source_url", "video_url", "thumbnail_url")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_TEXT = FIELD_LIMITS  # the same limits as every import (catalog/store/field_limits.py)


@dataclass(frozen=True)
class StaffSessionRow:
    """A line of the staff list: any status, with what staff need to see at a glance."""

    id: int
    title: str
    date: str | None
    event: str | None
    status: str
    segment_count: int
    reviewed: bool
    updated_at: str


@dataclass(frozen=True)
class ChapterInput:
    start: float
    title: str
    end: float | None = None


def clean_metadata(changes: dict) -> dict:
    """Check and normalise a dict of metadata changes; raise ``CatalogError`` naming the first bad field."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise CatalogError(f"these fields cannot be edited: {', '.join(sorted(unknown))}")
    return {name: _clean_field(name, value) for name, value in changes.items()}


def _clean_field(name: str, value):
    if name == "tags":
        items = value.split(",") if isinstance(value, str) else list(value or ())
        return json.dumps(sorted({str(t).strip()[:100] for t in items if str(t).strip()}))
    if value is None:
        text = None
    elif name == "description":
        text = str(value).strip() or None
    else:
        text = " ".join(str(value).split()) or None
    if text and "\x00" in text:
        raise CatalogError("a NUL character (\\x00) cannot be part of the text", field=name)
    if name == "title" and not text:
        raise CatalogError("a session needs a title", field="title")
    if text and len(text) > MAX_TEXT.get(name, 2000):
        raise CatalogError(f"at most {MAX_TEXT.get(name, 2000)} characters", field=name)
    if name == "date" and text:
        check_date(text, "date")
    if name in _URL_FIELDS and text and not re.match(r"^https?://[^\s/]+", text, re.IGNORECASE):
        raise CatalogError("give a web address starting with http:// or https://", field=name)
    if name == "language" and text and not _LANGUAGE.match(text):
        raise CatalogError(f"{text!r} is not a language code such as en or en-US", field="language")
    return text


def clean_chapters(chapters: Sequence[ChapterInput], duration: float | None) -> list[ChapterInput]:
    cleaned = []
    for number, chapter in enumerate(chapters, 1):
        title = " ".join((chapter.title or "").split())
        if not title:
            raise CatalogError(f"chapter {number}: a chapter needs a title")
        if chapter.start < 0 or (chapter.end is not None and chapter.end <= chapter.start):
            raise CatalogError(f"chapter {number}: it must start at 0 or later and end after it starts")
        if duration and chapter.start > duration:
            raise CatalogError(f"chapter {number}: it starts after the session ends ({duration:.0f} s)")
        cleaned.append(ChapterInput(float(chapter.start), title[:300], chapter.end))
    return sorted(cleaned, key=lambda c: c.start)


class StaffEdits:
    """Session-level staff edits, on a catalog's connection."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self.audit = AuditLog(db)

    # -- metadata ------------------------------------------------------------------------------------------
    def update_metadata(self, session_id: int, changes: dict, by: str) -> dict:
        """Apply the fields that differ from what is stored; return ``{field: [old, new]}`` of those changed."""
        cleaned = clean_metadata(changes)
        with transaction(self.db) as conn:
            # An event renamed or merged away is written as its new name, as ingest writes it.
            if cleaned.get("event"):
                cleaned["event"] = resolve_event(conn, cleaned["event"])
            current = self._row(conn, session_id, tuple(cleaned))
            diff = {k: [current[k], v] for k, v in cleaned.items() if current[k] != v}
            if not diff:
                return {}
            assignments = ", ".join(f"{name} = ?" for name in diff)
            conn.execute(
                f"UPDATE sessions SET {assignments} WHERE id = ?",
                (*(new for _, new in diff.values()), session_id),
            )
            touch_session(conn, session_id)
            record(conn, by, session_id, "metadata.edit", changes=diff)
        return diff

    def set_speakers(self, session_id: int, credits: Sequence[tuple[str, str | None]], by: str) -> None:
        """Credit exactly these speakers (name, role), in this order; creates speakers not yet known."""
        with transaction(self.db) as conn:
            self._require(conn, session_id)
            before = self._credit_names(conn, session_id)
            conn.execute("DELETE FROM session_speakers WHERE session_id = ?", (session_id,))
            for name, role in credits:
                credit_speaker(conn, session_id, ensure_speaker(conn, name), clean_role(role))
            after = self._credit_names(conn, session_id)
            touch_session(conn, session_id)
            record(conn, by, session_id, "speakers.edit", before=before, after=after)

    def set_topics(self, session_id: int, names: Sequence[str], by: str) -> None:
        with transaction(self.db) as conn:
            self._require(conn, session_id)
            before = self._topic_names(conn, session_id)
            conn.execute("DELETE FROM session_topics WHERE session_id = ?", (session_id,))
            for name in names:
                if not " ".join((name or "").split()):
                    continue
                topic_id = ensure_topic(conn, name)
                conn.execute("INSERT OR IGNORE INTO session_topics VALUES (?, ?)", (session_id, topic_id))
            touch_session(conn, session_id)
            record(
                conn, by, session_id, "topics.edit", before=before, after=self._topic_names(conn, session_id)
            )

    def set_chapters(self, session_id: int, chapters: Sequence[ChapterInput], by: str) -> None:
        with transaction(self.db) as conn:
            self._require(conn, session_id)
            duration = conn.execute(
                "SELECT coalesce(s.duration, (SELECT max(end) FROM segments WHERE session_id = s.id)) "
                "FROM sessions s WHERE s.id = ?",
                (session_id,),
            ).fetchone()[0]
            cleaned = clean_chapters(chapters, duration)
            conn.execute("DELETE FROM chapters WHERE session_id = ?", (session_id,))
            conn.executemany(
                "INSERT INTO chapters (session_id, start, end, title) VALUES (?, ?, ?, ?)",
                [(session_id, c.start, c.end, c.title) for c in cleaned],
            )
            touch_session(conn, session_id)
            record(conn, by, session_id, "chapters.edit", chapters=[[c.start, c.title] for c in cleaned])

    def set_reviewed(self, session_id: int, reviewed: bool, by: str) -> None:
        """Mark the session's primary transcript track as reviewed (or not)."""
        with transaction(self.db) as conn:
            self._require(conn, session_id)
            cursor = conn.execute(
                "UPDATE tracks SET reviewed = ? WHERE session_id = ? AND is_primary = 1",
                (int(reviewed), session_id),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"session {session_id} has no transcript to mark as reviewed")
            touch_session(conn, session_id)
            record(conn, by, session_id, "transcript.reviewed" if reviewed else "transcript.unreviewed")

    # -- status: publish, retract, restore ------------------------------------------------------------------
    def publish(self, session_id: int, by: str) -> None:
        self._move(session_id, by, allowed_from=("draft",), to="published", action="session.publish")

    def retract(self, session_id: int, by: str) -> None:
        self._move(
            session_id, by, allowed_from=("draft", "published"), to="retracted", action="session.retract"
        )

    def restore(self, session_id: int, by: str) -> None:
        self._move(session_id, by, allowed_from=("retracted",), to="published", action="session.restore")

    def _move(self, session_id: int, by: str, *, allowed_from: tuple[str, ...], to: str, action: str) -> None:
        with transaction(self.db) as conn:
            status = self._row(conn, session_id, ("status",))["status"]
            if status not in allowed_from:
                raise Conflict(f"session {session_id} is {status}: it cannot be moved to {to}")
            now = utcnow()
            conn.execute(
                "UPDATE sessions SET status = ?, updated_at = ?, "
                "published_at = CASE WHEN ? = 'published' THEN coalesce(published_at, ?) ELSE published_at END "
                "WHERE id = ?",
                (to, now, to, now, session_id),
            )
            record(conn, by, session_id, action, status=[status, to])

    # -- reading for staff pages --------------------------------------------------------------------------
    def status_of(self, session_id: int) -> str:
        row = self.db.conn.execute("SELECT status FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise NotFound(f"no session {session_id}")
        return row[0]

    def list_sessions(
        self, *, status: str | None = None, title: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[int, list[StaffSessionRow]]:
        """(total, page) of sessions of any status, most recently changed first."""
        where, params = ["1 = 1"], []
        if status:
            where.append("s.status = ?")
            params.append(status)
        if title:
            escaped = title.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("s.title LIKE ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
        clause = " AND ".join(where)
        total = self.db.conn.execute(f"SELECT count(*) FROM sessions s WHERE {clause}", params).fetchone()[0]
        rows = self.db.conn.execute(
            "SELECT s.id, s.title, s.date, s.event, s.status, s.segment_count, "
            "coalesce((SELECT max(reviewed) FROM tracks t WHERE t.session_id = s.id AND t.is_primary = 1), 0), "
            f"s.updated_at FROM sessions s WHERE {clause} ORDER BY s.updated_at DESC, s.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return total, [StaffSessionRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7]) for r in rows]

    def recent_ingests(self, limit: int = 10) -> list[tuple[int, str | None, str, int | None, str]]:
        """The items most recently finished: (id, title, url, session id, when)."""
        return self.db.conn.execute(
            "SELECT id, title, url, session_id, updated_at FROM items WHERE state = 'done' "
            "ORDER BY updated_at DESC, id DESC LIMIT ?",
            (limit,),
        ).fetchall()

    def is_reviewed(self, session_id: int) -> bool:
        row = self.db.conn.execute(
            "SELECT reviewed FROM tracks WHERE session_id = ? AND is_primary = 1", (session_id,)
        ).fetchone()
        return bool(row and row[0])

    # -- helpers -------------------------------------------------------------------------------------------
    def _require(self, conn, session_id: int) -> None:
        if not conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone():
            raise NotFound(f"no session {session_id}")

    def _row(self, conn, session_id: int, columns: tuple[str, ...]) -> dict:
        names = ", ".join(columns) or "id"
        row = conn.execute(f"SELECT {names} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise NotFound(f"no session {session_id}")
        return dict(zip(columns, row, strict=False))

    def _credit_names(self, conn, session_id: int) -> list[str]:
        rows = conn.execute(
            "SELECT sp.name FROM session_speakers ss JOIN speakers sp ON sp.id = ss.speaker_id "
            "WHERE ss.session_id = ? ORDER BY ss.position",
            (session_id,),
        ).fetchall()
        return [r[0] for r in rows]

    def _topic_names(self, conn, session_id: int) -> list[str]:
        rows = conn.execute(
            "SELECT t.name FROM session_topics st JOIN topics t ON t.id = st.topic_id "
            "WHERE st.session_id = ? ORDER BY t.name",
            (session_id,),
        ).fetchall()
        return [r[0] for r in rows]
