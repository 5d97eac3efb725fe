"""What a staffer changed by hand survives fetching the session again from its source.

A sync refreshes the newest entries of a channel, an import can run twice, a staffer can paste a URL that is
already in the archive: each saves the session again. The audit log says what staff edited; ``save_session``
keeps those parts as they are and refreshes the rest.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from catalog.models import TrackInput

TRANSCRIPT_ACTIONS = frozenset({"segment.correct", "transcript.reviewed", "transcript.unreviewed"})


@dataclass(frozen=True)
class HandEdits:
    fields: frozenset[str] = frozenset()  # session columns edited by hand
    speakers: bool = False
    topics: bool = False
    chapters: bool = False
    transcript: bool = False  # corrected or reviewed: the stored segments stay

    @property
    def any(self) -> bool:
        return bool(self.fields) or self.speakers or self.topics or self.chapters or self.transcript


NO_EDITS = HandEdits()


def staff_edits(conn: sqlite3.Connection, session_id: int) -> HandEdits:
    """What staff changed by hand on ``session_id``, from the audit log."""
    fields: set[str] = set()
    actions: set[str] = set()
    for action, detail in conn.execute(
        "SELECT action, detail FROM audit WHERE session_id = ?", (session_id,)
    ):
        actions.add(action)
        if action == "metadata.edit":
            fields.update(_changed_fields(detail))
    return HandEdits(
        fields=frozenset(fields),  # session columns, as ``Staff.edits.update_metadata`` records them
        speakers="speakers.edit" in actions,
        topics="topics.edit" in actions,
        chapters="chapters.edit" in actions,
        transcript=bool(actions & TRANSCRIPT_ACTIONS),
    )


def _changed_fields(detail: str) -> set[str]:
    try:
        changes = json.loads(detail).get("changes") or {}
    except (ValueError, AttributeError):
        return set()
    return set(changes) if isinstance(changes, dict) else set()


def keeps_asr_track(conn: sqlite3.Connection, session_id: int, tracks: Sequence[TrackInput]) -> bool:
    """A save from a source that still has no captions keeps the automatic transcript (``catalog/store/asr.py``)."""
    if any(track.transcript.segments for track in tracks):
        return False
    row = conn.execute(
        "SELECT 1 FROM tracks WHERE session_id = ? AND source = 'asr' AND is_primary = 1", (session_id,)
    ).fetchone()
    return row is not None
