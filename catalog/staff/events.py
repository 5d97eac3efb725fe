"""Staff edits to events (a meeting or series, e.g. "89th Winter Meeting"): rename, and merge near-duplicates.

An event is the ``event`` name its sessions carry. A rename or a merge moves every session to the new name in
one transaction, and the old name is kept in ``event_redirects``: ``/sessions?event=<old>`` then leads to the
new name, and a session fetched again from a source that still says the old name gets the new one
(``resolve_event``, used by ``save_session``), so that an import run twice does not bring the duplicate back.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import sqlite_utils

from catalog.errors import CatalogError, Conflict, NotFound
from catalog.staff.audit import record, touch_session
from catalog.store.db import transaction, utcnow
from catalog.store.names import clean_name, slugify
from catalog.store.reads import event_names


@dataclass(frozen=True)
class EventSummary:
    name: str
    slug: str
    sessions: int  # every session, drafts included


def resolve_event(conn: sqlite3.Connection, name: str | None) -> str | None:
    """The name an event now has: ``name`` itself unless it was renamed or merged away."""
    if not name:
        return name
    row = conn.execute("SELECT into_name FROM event_redirects WHERE slug = ?", (slugify(name),)).fetchone()
    return row[0] if row else name


def redirect_for(conn: sqlite3.Connection, name_or_slug: str) -> str | None:
    """The current name of a renamed or merged event named (or slugged) ``name_or_slug``; ``None`` if there is
    no such old name or the name is an event's current one."""
    wanted = " ".join(name_or_slug.split())
    if not wanted or event_names(conn, wanted):
        return None
    row = conn.execute(
        "SELECT into_name FROM event_redirects WHERE slug = ? OR slug = ?", (slugify(wanted), wanted.lower())
    ).fetchone()
    return row[0] if row else None


class StaffEvents:
    """Events: list, rename, merge, on a catalog's connection."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def list(self) -> list[EventSummary]:
        rows = self.db.conn.execute(
            "SELECT event, count(*) FROM sessions WHERE event IS NOT NULL AND event != '' "
            "GROUP BY event ORDER BY event COLLATE NOCASE"
        ).fetchall()
        return [EventSummary(name, slugify(name), count) for name, count in rows]

    def rename(self, event: str, new_name: str, by: str | None) -> EventSummary:
        """Give the event ``event`` (name or slug) a new name; ``Conflict`` if that name is another event's
        (merge the two instead)."""
        new_name = clean_name(new_name)
        with transaction(self.db) as conn:
            old = self._existing(conn, event)
            clash = [n for n in event_names(conn, new_name) if n not in old]
            if clash:
                raise Conflict(
                    f"an event named {clash[0]!r} already exists: merge the two instead", field="name"
                )
            self._move(conn, old, new_name, by, "event.rename")
        return self._summary(new_name)

    def merge(self, source: str, target: str, by: str | None) -> EventSummary:
        """Fold the event ``source`` into ``target`` (names or slugs): its sessions move, its name leads there."""
        with transaction(self.db) as conn:
            old, into = self._existing(conn, source), self._existing(conn, target)
            if set(old) & set(into):
                raise CatalogError("choose two different events to merge", field="source")
            self._move(conn, old, into[0], by, "event.merge")
        return self._summary(into[0])

    def _move(
        self, conn: sqlite3.Connection, old: list[str], new_name: str, by: str | None, action: str
    ) -> None:
        """Every session of the ``old`` names gets ``new_name``; each old name redirects there (one write path
        for both rename and merge)."""
        now = utcnow()
        for name in old:
            sessions = [r[0] for r in conn.execute("SELECT id FROM sessions WHERE event = ?", (name,))]
            conn.execute("UPDATE sessions SET event = ? WHERE event = ?", (new_name, name))
            for session_id in sessions:
                touch_session(conn, session_id)
                record(conn, by, session_id, action, changes={"event": [name, new_name]})
            record(conn, by, None, action, changes={"event": [name, new_name]}, sessions=len(sessions))
            if slugify(name) != slugify(new_name):
                conn.execute(
                    "INSERT INTO event_redirects (slug, name, into_name, at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(slug) DO UPDATE SET name = excluded.name, into_name = excluded.into_name, "
                    "at = excluded.at",
                    (slugify(name), name, new_name, now),
                )
            conn.execute("UPDATE event_redirects SET into_name = ? WHERE into_name = ?", (new_name, name))
        # The new name is live again if it was once renamed away.
        conn.execute("DELETE FROM event_redirects WHERE slug = ?", (slugify(new_name),))

    def _existing(self, conn: sqlite3.Connection, event: str) -> list[str]:
        names = event_names(conn, event or "")
        if not names:
            raise NotFound(f"no event {event!r}", field="event")
        return names

    def _summary(self, name: str) -> EventSummary:
        (count,) = self.db.conn.execute("SELECT count(*) FROM sessions WHERE event = ?", (name,)).fetchone()
        return EventSummary(name, slugify(name), count)
