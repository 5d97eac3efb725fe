"""Staff edits to speakers: create, rename, merge.

A rename or a merge never breaks a link: the old name and slug stay as a row whose ``merged_into`` points to the
speaker that now carries them, so ``/speakers/<old slug>`` can redirect.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from catalog.errors import CatalogError, Conflict, NotFound
from catalog.models import SpeakerRef
from catalog.staff.audit import record, touch_session
from catalog.store import names
from catalog.store.db import transaction


@dataclass(frozen=True)
class SpeakerSummary:
    id: int
    name: str
    slug: str
    sessions: int
    segments: int


class StaffSpeakers:
    """Speakers: list, create, rename, merge, on a catalog's connection."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    # -- speakers ------------------------------------------------------------------------------------------
    def list(self) -> list[SpeakerSummary]:
        rows = self.db.conn.execute(
            "SELECT sp.id, sp.name, sp.slug, "
            "(SELECT count(*) FROM session_speakers ss WHERE ss.speaker_id = sp.id), "
            "(SELECT count(*) FROM segments sg WHERE sg.speaker_id = sp.id) "
            "FROM speakers sp WHERE sp.merged_into IS NULL ORDER BY sp.name COLLATE NOCASE"
        ).fetchall()
        return [SpeakerSummary(*row) for row in rows]

    def get(self, speaker_id: int) -> SpeakerRef:
        row = self.db.conn.execute(
            "SELECT id, name, slug FROM speakers WHERE id = ? AND merged_into IS NULL", (speaker_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no speaker {speaker_id}")
        return SpeakerRef(row[0], row[1], row[2])

    def create(self, name: str, by: str) -> SpeakerRef:
        name = names.clean_name(name)
        with transaction(self.db) as conn:
            if conn.execute("SELECT 1 FROM speakers WHERE name = ?", (name,)).fetchone():
                raise Conflict(f"a speaker named {name!r} already exists")
            speaker_id = names.ensure_speaker(conn, name)
            record(conn, by, None, "speaker.create", speaker=name)
        return self.get(speaker_id)

    def rename(self, speaker_id: int, new_name: str, by: str) -> SpeakerRef:
        new_name = names.clean_name(new_name)
        with transaction(self.db) as conn:
            old = self._active(conn, speaker_id)
            clash = conn.execute(
                "SELECT id FROM speakers WHERE name = ? AND id != ?", (new_name, speaker_id)
            ).fetchone()
            if clash:
                raise Conflict(f"a speaker named {new_name!r} already exists: merge the two instead")
            slug = (
                old.slug
                if new_name.casefold() == old.name.casefold()
                else names.unique_slug(conn, "speakers", new_name)
            )
            conn.execute("UPDATE speakers SET name = ?, slug = ? WHERE id = ?", (new_name, slug, speaker_id))
            if slug != old.slug:
                conn.execute(
                    "INSERT INTO speakers (name, slug, merged_into) VALUES (?, ?, ?)",
                    (old.name, old.slug, speaker_id),
                )
            for session_id in self._sessions_of(conn, speaker_id):
                touch_session(conn, session_id)
                record(conn, by, session_id, "speaker.rename", speaker=[old.name, new_name])
            record(conn, by, None, "speaker.rename", speaker=[old.name, new_name])
        return self.get(speaker_id)

    def merge(self, source_id: int, target_id: int, by: str) -> SpeakerRef:
        """Fold ``source`` into ``target``: its segments and credits move; its name and URL now lead to target."""
        if source_id == target_id:
            raise CatalogError("choose two different speakers to merge")
        with transaction(self.db) as conn:
            source, target = self._active(conn, source_id), self._active(conn, target_id)
            sessions = sorted(set(self._sessions_of(conn, source_id)))
            moved = conn.execute(
                "UPDATE segments SET speaker_id = ? WHERE speaker_id = ?", (target_id, source_id)
            ).rowcount
            self._move_credits(conn, source_id, target_id)
            conn.execute("UPDATE speakers SET merged_into = ? WHERE merged_into = ?", (target_id, source_id))
            conn.execute("UPDATE speakers SET merged_into = ? WHERE id = ?", (target_id, source_id))
            detail = {"from": source.name, "into": target.name, "segments": moved}
            for session_id in sessions:
                touch_session(conn, session_id)
                record(conn, by, session_id, "speaker.merge", **detail)
            record(conn, by, None, "speaker.merge", **detail)
        return self.get(target_id)

    def _move_credits(self, conn, source_id: int, target_id: int) -> None:
        conn.execute(
            "UPDATE session_speakers SET role = coalesce(role, (SELECT s2.role FROM session_speakers s2 "
            "WHERE s2.session_id = session_speakers.session_id AND s2.speaker_id = ?)) "
            "WHERE speaker_id = ?",
            (source_id, target_id),
        )
        conn.execute(
            "DELETE FROM session_speakers WHERE speaker_id = ? AND session_id IN "
            "(SELECT session_id FROM session_speakers WHERE speaker_id = ?)",
            (source_id, target_id),
        )
        conn.execute(
            "UPDATE session_speakers SET speaker_id = ? WHERE speaker_id = ?", (target_id, source_id)
        )

    def _active(self, conn, speaker_id: int) -> SpeakerRef:
        row = conn.execute(
            "SELECT id, name, slug FROM speakers WHERE id = ? AND merged_into IS NULL", (speaker_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no speaker {speaker_id}")
        return SpeakerRef(row[0], row[1], row[2])

    def _sessions_of(self, conn, speaker_id: int) -> list[int]:
        rows = conn.execute(
            "SELECT session_id FROM session_speakers WHERE speaker_id = ? "
            "UNION SELECT DISTINCT session_id FROM segments WHERE speaker_id = ?",
            (speaker_id, speaker_id),
        ).fetchall()
        return [r[0] for r in rows]
