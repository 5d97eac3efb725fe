"""Read queries the public site needs beyond ``Catalog``'s contract: a speaker's moments, new sessions, health.

Published sessions only: drafts and retracted sessions never show here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from catalog.models import Session

if TYPE_CHECKING:
    from catalog.facade import Catalog

_PRIMARY_SEGMENT = "(seg.track_id IS NULL OR seg.track_id IN (SELECT id FROM tracks WHERE is_primary = 1))"


@dataclass(frozen=True)
class SpeakerMoment:
    """A segment said by a speaker, with the session it belongs to."""

    session_id: int
    session_title: str
    session_date: str | None
    segment_id: int
    start: float
    end: float
    text: str


def speaker_moments(catalog: Catalog, speaker_id: int, *, limit: int = 50, offset: int = 0):
    """(total, page) of what ``speaker_id`` (and speakers merged into it) said, newest session first."""
    where = f"""
        FROM segments seg JOIN sessions s ON s.id = seg.session_id
        WHERE seg.speaker_id IN (SELECT id FROM speakers WHERE id = :speaker OR merged_into = :speaker)
          AND s.status = 'published' AND {_PRIMARY_SEGMENT}
    """
    params = {"speaker": speaker_id, "limit": limit, "offset": offset}
    total = catalog.db.execute(f"SELECT count(*) {where}", params).fetchone()[0]
    rows = catalog.db.execute(
        f"""SELECT seg.session_id, s.title, s.date, seg.id, seg.start, seg.end, seg.text {where}
            ORDER BY s.date IS NULL, s.date DESC, s.id DESC, seg.position LIMIT :limit OFFSET :offset""",
        params,
    ).fetchall()
    return total, [SpeakerMoment(*row) for row in rows]


def recently_added(catalog: Catalog, *, limit: int = 30) -> list[Session]:
    """Published sessions, the most recently published (or added) first: what a feed of new sessions lists."""
    rows = catalog.db.execute(
        """SELECT id FROM sessions WHERE status = 'published'
           ORDER BY COALESCE(published_at, created_at) DESC, id DESC LIMIT ?""",
        [limit],
    ).fetchall()
    sessions = (catalog.get_session(row[0]) for row in rows)
    return [session for session in sessions if session is not None]


def published_count(catalog: Catalog) -> int:
    """How many sessions the public can see; also proves the catalog answers (for ``/healthz``)."""
    return catalog.db.execute("SELECT count(*) FROM sessions WHERE status = 'published'").fetchone()[0]
