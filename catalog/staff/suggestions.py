"""Speaker names suggested for a session's lines, which staff accept or reject; never applied on their own.

A suggestion names who speaks from ``start`` to ``end`` and why (what the transcript says). Accepting sets that
speaker on the lines in the span (a correction, audited, kept by re-transcription); rejecting records it, and
the same name near the same time is never suggested again for that session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from catalog.errors import CatalogError, NotFound
from catalog.staff.audit import record
from catalog.store.db import transaction, utcnow
from catalog.store.names import clean_name, credit_speaker, ensure_speaker

SAME_PLACE = 2.0  # seconds: a suggestion this close to a decided one (same name) is the same suggestion


@dataclass(frozen=True)
class Suggestion:
    id: int
    session_id: int
    start: float
    end: float
    name: str
    reason: str
    state: str  # open | accepted | rejected


@dataclass(frozen=True)
class Offer:
    start: float
    end: float
    name: str
    reason: str


class SpeakerSuggestions:
    """``catalog.staff.suggestions``: offer, list and decide a session's speaker-name suggestions."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def offer(self, session_id: int, offers: Sequence[Offer]) -> int:
        """Store new open suggestions (see ``offer``); returns how many were stored."""
        return offer(self.db, session_id, offers)

    def for_session(self, session_id: int, *, states: Sequence[str] = ("open",)) -> list[Suggestion]:
        return suggestions(self.db, session_id, states=states)

    def decide(self, suggestion_id: int, accept: bool, by: str) -> Suggestion:
        """Accept (the speaker is set on the lines of the span) or reject an open suggestion."""
        return decide(self.db, suggestion_id, accept, by)


def offer(db: sqlite_utils.Database, session_id: int, offers: Sequence[Offer]) -> int:
    """Store new open suggestions, replacing the session's open ones; decided ones stay, and an offer matching
    a decided one (same name, about the same time) is not stored. Returns how many were stored."""
    stored = 0
    with transaction(db) as conn:
        conn.execute("DELETE FROM speaker_suggestions WHERE session_id = ? AND state = 'open'", (session_id,))
        decided = conn.execute(
            "SELECT lower(name), start FROM speaker_suggestions WHERE session_id = ?", (session_id,)
        ).fetchall()
        decided += _decided_in_audit(conn, session_id)
        for item in offers:
            if any(n == item.name.lower() and abs(s - item.start) <= SAME_PLACE for n, s in decided):
                continue
            conn.execute(
                "INSERT INTO speaker_suggestions (session_id, start, end, name, reason, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, item.start, item.end, item.name, item.reason, utcnow()),
            )
            decided.append((item.name.lower(), item.start))
            stored += 1
    return stored


def suggestions(
    db: sqlite_utils.Database, session_id: int, *, states: Sequence[str] = ("open",)
) -> list[Suggestion]:
    marks = ", ".join("?" * len(states))
    rows = db.conn.execute(
        "SELECT id, session_id, start, end, name, reason, state FROM speaker_suggestions "
        f"WHERE session_id = ? AND state IN ({marks}) ORDER BY start, id",
        (session_id, *states),
    ).fetchall()
    return [Suggestion(*row) for row in rows]


def decide(db: sqlite_utils.Database, suggestion_id: int, accept: bool, by: str) -> Suggestion:
    """Accept (the speaker is set on the lines of the span) or reject an open suggestion."""
    with transaction(db) as conn:
        row = conn.execute(
            "SELECT id, session_id, start, end, name, reason, state FROM speaker_suggestions WHERE id = ?",
            (suggestion_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no speaker suggestion {suggestion_id}")
        current = Suggestion(*row)
        if current.state != "open":
            raise CatalogError(f"that suggestion was already {current.state}")
        state = "accepted" if accept else "rejected"
        conn.execute(
            "UPDATE speaker_suggestions SET state = ?, decided_by = ?, decided_at = ? WHERE id = ?",
            (state, by, utcnow(), suggestion_id),
        )
        if accept:
            _assign(conn, current, by)
        record(
            conn,
            by,
            current.session_id,
            f"speaker_suggestion.{state}",
            name=current.name,
            start=current.start,
        )
    return Suggestion(*row[:6], state)


def _decided_in_audit(conn, session_id: int) -> list[tuple[str, float]]:
    """Decisions as the audit log keeps them: they survive a dump and load, which the table does not."""
    rows = conn.execute(
        "SELECT json_extract(detail, '$.name'), json_extract(detail, '$.start') FROM audit "
        "WHERE session_id = ? AND action IN ('speaker_suggestion.accepted', 'speaker_suggestion.rejected')",
        (session_id,),
    ).fetchall()
    return [
        (str(name).lower(), float(start)) for name, start in rows if name is not None and start is not None
    ]


def _assign(conn, suggestion: Suggestion, by: str) -> None:
    speaker_id = ensure_speaker(conn, clean_name(suggestion.name))
    rows = conn.execute(
        "SELECT id, text, speaker_id FROM segments WHERE session_id = ? AND start >= ? AND start < ?",
        (suggestion.session_id, suggestion.start - 0.05, max(suggestion.end, suggestion.start + 0.1)),
    ).fetchall()
    now = utcnow()
    for segment_id, text, old_speaker in rows:
        if old_speaker == speaker_id:
            continue
        conn.execute(
            "INSERT INTO segment_versions (segment_id, text, speaker_id, changed_by, changed_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (segment_id, text, old_speaker, by, now),
        )
        conn.execute("UPDATE segments SET speaker_id = ? WHERE id = ?", (speaker_id, segment_id))
    credit_speaker(conn, suggestion.session_id, speaker_id)
