"""Webinar extras staff attach to a session: its chat (a parsed Zoom chat export) its links and slides. Each
write replaces the session's chat, links or slides in one transaction with its audit entry."""

from __future__ import annotations

from collections.abc import Sequence

import sqlite_utils

from catalog.errors import NotFound
from catalog.staff.audit import record, touch_session
from catalog.store import extras
from catalog.store.db import transaction
from catalog.store.extras import SessionLink, SlideDeck

MAX_CHAT_MESSAGES = 20_000


class StaffExtras:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def set_chat(self, session_id: int, messages: Sequence, by: str) -> int:
        """Replace the session's chat with ``messages`` (objects with ``start``, ``sender``, ``text``)."""
        with transaction(self.db) as conn:
            _require(conn, session_id)
            count = extras.replace_chat(conn, session_id, list(messages)[:MAX_CHAT_MESSAGES])
            touch_session(conn, session_id)
            record(conn, by, session_id, "chat.attach", messages=count)
            return count

    def remove_chat(self, session_id: int, by: str) -> None:
        self.set_chat(session_id, (), by)

    def set_links(self, session_id: int, links: Sequence[SessionLink], by: str) -> int:
        with transaction(self.db) as conn:
            _require(conn, session_id)
            count = extras.replace_links(conn, session_id, links)
            touch_session(conn, session_id)
            record(conn, by, session_id, "links.edit", links=count)
            return count

    def set_slides(self, session_id: int, deck: SlideDeck | None, by: str) -> int:
        """Replace the session's slides (``None`` removes them)."""
        with transaction(self.db) as conn:
            _require(conn, session_id)
            count = extras.replace_slides(conn, session_id, deck)
            touch_session(conn, session_id)
            record(conn, by, session_id, "slides.edit", pages=count)
            return count


def _require(conn, session_id: int) -> None:
    if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
        raise NotFound(f"no session with id {session_id}")
