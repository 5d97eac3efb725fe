"""Staff corrections to transcript segments, with versions.

A correction keeps the text and speaker it replaces in ``segment_versions``; the FTS5 trigger re-indexes the
segment in the same transaction. The corrected text is cleaned by the rule ingest uses
(``catalog.store.values.clean_segment_text``), and a newly named speaker is credited by the one crediting rule
(``catalog.store.names.credit_speaker``).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass

import sqlite_utils

from catalog.errors import CatalogError, Conflict, NotFound
from catalog.staff.audit import record, touch_session
from catalog.store import names
from catalog.store.db import transaction, utcnow
from catalog.store.values import clean_segment_text

MAX_SEGMENT_TEXT = 5000
KEEP = object()  # "leave the speaker as it is"


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


def corrected_text(text: str | None) -> str:
    """What a correction stores: the text cleaned as at ingest, whitespace runs folded (a form has no timings)."""
    return " ".join(clean_segment_text(text or "").split())


class StaffSegments:
    """Reading and correcting segments, on a catalog's connection."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

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
        text = corrected_text(text)
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
            if expected_text is not None and corrected_text(expected_text) != old_text:
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
                # a corrected line is no longer the recogniser's: its word confidences go (ASR tracks)
                "UPDATE segments SET text = ?, speaker_id = ?, marks = ?, confidence = NULL WHERE id = ?",
                (text, speaker_id, new_marks, segment_id),
            )
            if speaker_id is not None:
                names.credit_speaker(conn, session_id, speaker_id)
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
        return names.ensure_speaker(conn, str(name))
