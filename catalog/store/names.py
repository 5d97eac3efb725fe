"""Speakers and topics by name: slugs, case-insensitive lookup, creation on first use, merges followed."""

from __future__ import annotations

import re
import sqlite3
import unicodedata

from catalog.errors import CatalogError
from catalog.store.field_limits import FIELD_LIMITS

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_MERGE_HOPS = 32
MAX_NAME = FIELD_LIMITS["speaker"]  # characters in a speaker name, however it arrives (ingest, staff, load)
MAX_ROLE = FIELD_LIMITS["role"]


def slugify(name: str) -> str:
    """``"Mayor Karen Bass (LA)"`` → ``"mayor-karen-bass-la"``; accents folded; never empty."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = _NOT_SLUG.sub("-", folded).strip("-")
    return slug[:80].strip("-") or "x"


def clean_name(name: object, what: str = "speaker") -> str:
    """A speaker or topic name as stored: whitespace folded, not empty, at most its field's limit (``MAX_NAME``
    characters for a speaker, ``FIELD_LIMITS["topic"]`` for a topic)."""
    if not isinstance(name, str) or not name.strip():
        raise CatalogError(f"{what} name must be a non-empty text, got {name!r}")
    cleaned = " ".join(name.split())
    limit = FIELD_LIMITS.get(what, MAX_NAME)
    if len(cleaned) > limit:
        raise CatalogError(f"a {what} name has at most {limit} characters", field=what)
    return cleaned


def clean_role(role: str | None) -> str | None:
    """A credit's role ("Mayor of Tulsa") as stored: whitespace folded, at most ``MAX_ROLE`` characters (longer
    is refused, never cut); empty is none."""
    cleaned = " ".join((role or "").split())
    if len(cleaned) > MAX_ROLE:
        raise CatalogError(f"role: {len(cleaned):,} characters; the limit is {MAX_ROLE:,}", field="role")
    return cleaned or None


def free_slug(conn: sqlite3.Connection, table: str, slug: str) -> str:
    """``slug`` if no row of ``table`` has it yet, else the first free ``slug-2``, ``slug-3``..."""
    candidate, n = slug, 1
    while conn.execute(f"SELECT 1 FROM {table} WHERE slug = ?", (candidate,)).fetchone():
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


def unique_slug(conn: sqlite3.Connection, table: str, name: str) -> str:
    return free_slug(conn, table, slugify(name))


def credit_speaker(
    conn: sqlite3.Connection, session_id: int, speaker_id: int, role: str | None = None
) -> None:
    """Credit ``speaker_id`` on the session, after those credited already (kept as is if credited before).

    The one position rule for every writer (ingest, staff edits, corrections): one past the last position.
    """
    conn.execute(
        "INSERT OR IGNORE INTO session_speakers (session_id, speaker_id, role, position) VALUES (?, ?, ?, "
        "(SELECT coalesce(max(position), -1) + 1 FROM session_speakers WHERE session_id = ?))",
        (session_id, speaker_id, clean_role(role), session_id),
    )


def canonical_speaker(conn: sqlite3.Connection, speaker_id: int) -> int:
    """Follow ``merged_into`` to the speaker that stands for this one now (cycles are cut)."""
    seen = {speaker_id}
    current = speaker_id
    for _ in range(MAX_MERGE_HOPS):
        row = conn.execute("SELECT merged_into FROM speakers WHERE id = ?", (current,)).fetchone()
        if row is None or row[0] is None or row[0] in seen:
            return current
        current = row[0]
        seen.add(current)
    return current


def ensure_speaker(conn: sqlite3.Connection, name: str) -> int:
    """The id standing for ``name`` (case-insensitive; merges followed), created if new."""
    name = clean_name(name, "speaker")
    row = conn.execute("SELECT id FROM speakers WHERE name = ?", (name,)).fetchone()
    if row:
        return canonical_speaker(conn, row[0])
    slug = unique_slug(conn, "speakers", name)
    return conn.execute("INSERT INTO speakers (name, slug) VALUES (?, ?)", (name, slug)).lastrowid


def ensure_topic(conn: sqlite3.Connection, name: str) -> int:
    name = clean_name(name, "topic")
    row = conn.execute("SELECT id FROM topics WHERE name = ?", (name,)).fetchone()
    if row:
        return row[0]
    slug = unique_slug(conn, "topics", name)
    return conn.execute("INSERT INTO topics (name, slug) VALUES (?, ?)", (name, slug)).lastrowid


def find_speaker_id(conn: sqlite3.Connection, slug_or_name: str) -> int | None:
    """A speaker by slug or (case-insensitive) name, following merges; ``None`` if unknown."""
    key = " ".join(slug_or_name.split())
    row = conn.execute(
        "SELECT id FROM speakers WHERE slug = ? OR name = ? ORDER BY slug = ? DESC LIMIT 1",
        (key.lower(), key, key.lower()),
    ).fetchone()
    return canonical_speaker(conn, row[0]) if row else None


def speaker_ids_standing_for(conn: sqlite3.Connection, speaker_id: int) -> list[int]:
    """``speaker_id`` and every speaker merged into it (directly or through others)."""
    ids, frontier = [speaker_id], [speaker_id]
    while frontier and len(ids) < 10_000:
        marks = ",".join("?" * len(frontier))
        rows = conn.execute(f"SELECT id FROM speakers WHERE merged_into IN ({marks})", frontier).fetchall()
        frontier = [r[0] for r in rows if r[0] not in ids]
        ids.extend(frontier)
    return ids


def find_topic_id(conn: sqlite3.Connection, slug_or_name: str) -> int | None:
    key = " ".join(slug_or_name.split())
    row = conn.execute(
        "SELECT id FROM topics WHERE slug = ? OR name = ? ORDER BY slug = ? DESC LIMIT 1",
        (key.lower(), key, key.lower()),
    ).fetchone()
    return row[0] if row else None
