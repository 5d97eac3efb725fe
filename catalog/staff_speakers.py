"""Staff edits to speakers (create, rename, merge), topics, and per-segment transcript corrections with versions.

A rename or a merge never breaks a link: the old name and slug stay as a row whose ``merged_into`` points to the
speaker that now carries them, so ``/speakers/<old slug>`` can redirect. A correction keeps the text and speaker it
replaces in ``segment_versions``; the FTS5 trigger re-indexes the segment in the same transaction.
"""

from __future__ import annotations

import json
import re
import sqlite3
from bisect import bisect_right
from dataclasses import dataclass

import sqlite_utils

from catalog import names
from catalog.db import transaction, utcnow
from catalog.errors import CatalogError, Conflict, NotFound
from catalog.models import SpeakerRef
from catalog.staff_audit import record, touch_session

MAX_SEGMENT_TEXT = 5000
KEEP = object()  # "leave the speaker as it is"


@dataclass(frozen=True)
class SpeakerSummary:
    id: int
    name: str
    slug: str
    sessions: int
    segments: int


@dataclass(frozen=True)
class StaffSegment:
    id: int
    session_id: int
    position: int
    start: float
    end: float
    text: str
    speaker: str | None


@dataclass(frozen=True)
class SegmentVersion:
    """What a segment said before a change: ``changed_by`` replaced it at ``changed_at``."""

    id: int
    text: str
    speaker: str | None
    changed_by: str | None
    changed_at: str


def clean_name(name: str, what: str = "speaker") -> str:
    cleaned = names.clean_name(name, what)
    if len(cleaned) > 200:
        raise CatalogError(f"a {what} name has at most 200 characters")
    return cleaned


def find_or_create_speaker(conn: sqlite3.Connection, name: str) -> int:
    return names.ensure_speaker(conn, clean_name(name))


def find_or_create_topic(conn: sqlite3.Connection, name: str) -> int:
    return names.ensure_topic(conn, clean_name(name, "topic"))


def _free_slug(conn: sqlite3.Connection, name: str) -> str:
    base = names.slugify(name)
    slug, number = base, 1
    while conn.execute("SELECT 1 FROM speakers WHERE slug = ?", (slug,)).fetchone():
        number += 1
        slug = f"{base}-{number}"
    return slug


def remap_marks(marks_json: str, old_text: str, new_text: str, start: float) -> str:
    """Keep word timings when the words are the same in number (a spelling fix); otherwise only the start."""
    try:
        marks = [(int(m[0]), float(m[1])) for m in json.loads(marks_json or "[]")]
    except (ValueError, TypeError, IndexError):
        marks = []
    old_words = [m.start() for m in re.finditer(r"\S+", old_text)]
    new_words = [m.start() for m in re.finditer(r"\S+", new_text)]
    if len(old_words) != len(new_words) or not marks:
        return json.dumps([[0, start]])
    kept: list[list] = []
    for offset, seconds in marks:
        word = max(0, bisect_right(old_words, offset) - 1)  # the word the mark falls in
        if not kept or new_words[word] > kept[-1][0]:
            kept.append([new_words[word], seconds])
    if kept[0][0] != 0:
        kept.insert(0, [0, start])
    return json.dumps(kept)


class StaffSpeakers:
    """Speakers, topics and segment corrections, on a catalog's connection."""

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
        name = clean_name(name)
        with transaction(self.db) as conn:
            if conn.execute("SELECT 1 FROM speakers WHERE name = ?", (name,)).fetchone():
                raise Conflict(f"a speaker named {name!r} already exists")
            speaker_id = find_or_create_speaker(conn, name)
            record(conn, by, None, "speaker.create", speaker=name)
        return self.get(speaker_id)

    def rename(self, speaker_id: int, new_name: str, by: str) -> SpeakerRef:
        new_name = clean_name(new_name)
        with transaction(self.db) as conn:
            old = self._active(conn, speaker_id)
            clash = conn.execute(
                "SELECT id FROM speakers WHERE name = ? AND id != ?", (new_name, speaker_id)
            ).fetchone()
            if clash:
                raise Conflict(f"a speaker named {new_name!r} already exists: merge the two instead")
            slug = old.slug if new_name.casefold() == old.name.casefold() else _free_slug(conn, new_name)
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

    # -- segments ------------------------------------------------------------------------------------------
    def segment(self, segment_id: int) -> StaffSegment:
        row = self.db.conn.execute(
            "SELECT sg.id, sg.session_id, sg.position, sg.start, sg.end, sg.text, sp.name "
            "FROM segments sg LEFT JOIN speakers sp ON sp.id = sg.speaker_id WHERE sg.id = ?",
            (segment_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no segment {segment_id}")
        return StaffSegment(*row)

    def correct(
        self, segment_id: int, text: str, by: str, *, speaker=KEEP, expected_text: str | None = None
    ) -> bool:
        """Correct a segment's text and (unless ``KEEP``) speaker; ``None`` or ``""`` clears the speaker.

        ``expected_text`` is the text the staffer started from: if someone else changed it meanwhile, ``Conflict``.
        Returns whether anything changed (an unchanged form writes no version).
        """
        text = " ".join((text or "").split())
        if not text:
            raise CatalogError("the corrected text is empty: a segment needs its words")
        if len(text) > MAX_SEGMENT_TEXT:
            raise CatalogError(f"the corrected text is longer than {MAX_SEGMENT_TEXT} characters")
        with transaction(self.db) as conn:
            row = conn.execute(
                "SELECT session_id, start, text, speaker_id, marks FROM segments WHERE id = ?", (segment_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no segment {segment_id}")
            session_id, start, old_text, old_speaker, marks = row
            if expected_text is not None and " ".join(expected_text.split()) != old_text:
                raise Conflict("someone else changed this segment meanwhile: reload it and try again")
            speaker_id = old_speaker if speaker is KEEP else self._speaker_for(conn, speaker)
            if text == old_text and speaker_id == old_speaker:
                return False
            conn.execute(
                "INSERT INTO segment_versions (segment_id, text, speaker_id, changed_by, changed_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (segment_id, old_text, old_speaker, by, utcnow()),
            )
            new_marks = marks if text == old_text else remap_marks(marks, old_text, text, start)
            conn.execute(
                "UPDATE segments SET text = ?, speaker_id = ?, marks = ?, confidence = NULL WHERE id = ?",
                (text, speaker_id, new_marks, segment_id),
            )
            if speaker_id is not None:
                self._credit(conn, session_id, speaker_id)
            touch_session(conn, session_id)
            record(conn, by, session_id, "segment.correct", segment=segment_id, before=old_text, after=text)
        return True

    def versions(self, segment_id: int) -> list[SegmentVersion]:
        rows = self.db.conn.execute(
            "SELECT v.id, v.text, sp.name, v.changed_by, v.changed_at FROM segment_versions v "
            "LEFT JOIN speakers sp ON sp.id = v.speaker_id WHERE v.segment_id = ? ORDER BY v.id DESC",
            (segment_id,),
        ).fetchall()
        return [SegmentVersion(*row) for row in rows]

    def _speaker_for(self, conn, name) -> int | None:
        if name is None or not str(name).strip():
            return None
        return find_or_create_speaker(conn, str(name))

    def _credit(self, conn, session_id: int, speaker_id: int) -> None:
        position = conn.execute(
            "SELECT coalesce(max(position), -1) + 1 FROM session_speakers WHERE session_id = ?", (session_id,)
        ).fetchone()[0]
        conn.execute(
            "INSERT OR IGNORE INTO session_speakers (session_id, speaker_id, position) VALUES (?, ?, ?)",
            (session_id, speaker_id, position),
        )
