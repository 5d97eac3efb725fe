"""Counts of visible sessions by event, topic, year and speaker; one speaker by slug or name."""

from __future__ import annotations

import sqlite3

from catalog.models import Facet, SpeakerRef
from catalog.store.names import find_speaker_id, slugify, speaker_ids_standing_for
from catalog.store.reads import visible


def facets(conn: sqlite3.Connection, include_drafts: bool) -> dict[str, list[Facet]]:
    vis = visible(include_drafts, "se")
    events = conn.execute(
        f"SELECT se.event, count(*) FROM sessions se WHERE {vis} AND se.event IS NOT NULL AND se.event != '' "
        "GROUP BY se.event ORDER BY count(*) DESC, se.event"
    ).fetchall()
    topics = conn.execute(
        "SELECT t.name, t.slug, count(*) FROM session_topics st JOIN topics t ON t.id = st.topic_id "
        f"JOIN sessions se ON se.id = st.session_id WHERE {vis} GROUP BY t.id ORDER BY count(*) DESC, t.name"
    ).fetchall()
    years = conn.execute(
        f"SELECT substr(se.date, 1, 4) AS year, count(*) FROM sessions se WHERE {vis} AND se.date IS NOT NULL "
        "GROUP BY year ORDER BY year DESC"
    ).fetchall()
    speakers = conn.execute(
        "SELECT sp.name, sp.slug, count(DISTINCT ss.session_id) FROM session_speakers ss "
        "JOIN speakers sp0 ON sp0.id = ss.speaker_id JOIN speakers sp ON sp.id = coalesce(sp0.merged_into, sp0.id) "
        f"JOIN sessions se ON se.id = ss.session_id WHERE {vis} GROUP BY sp.id ORDER BY 3 DESC, sp.name"
    ).fetchall()
    return {
        "events": [Facet(name, slugify(name), count) for name, count in events],
        "topics": [Facet(name, slug, count) for name, slug, count in topics],
        "years": [Facet(year, year, count) for year, count in years],
        "speakers": [Facet(name, slug, count) for name, slug, count in speakers],
    }


def speaker(conn: sqlite3.Connection, slug_or_name: str, include_drafts: bool) -> SpeakerRef | None:
    """The speaker (merges followed); public callers see only speakers of at least one visible session."""
    if not isinstance(slug_or_name, str) or not slug_or_name.strip():
        return None
    speaker_id = find_speaker_id(conn, slug_or_name)
    if speaker_id is None:
        return None
    if not include_drafts:
        ids = speaker_ids_standing_for(conn, speaker_id)
        shown = conn.execute(
            "SELECT 1 FROM session_speakers ss JOIN sessions se ON se.id = ss.session_id "
            f"WHERE ss.speaker_id IN ({','.join('?' * len(ids))}) AND se.status = 'published' LIMIT 1",
            ids,
        ).fetchone()
        if not shown:
            return None
    sid, name, slug = conn.execute(
        "SELECT id, name, slug FROM speakers WHERE id = ?", (speaker_id,)
    ).fetchone()
    return SpeakerRef(sid, name, slug)
