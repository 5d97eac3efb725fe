"""Saved searches: a staffer's search, mailed as a digest of new matching sessions (``uscm-archive digest``).

Each saved search remembers which sessions it has already mailed (``saved_search_sent``), so a digest lists a
session once, and only sessions published after the search was saved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlite_utils

from catalog.errors import CatalogError, NotFound
from catalog.store.db import transaction, utcnow
from catalog.store.values import check_date

SEARCH_FILTERS = ("event", "speaker", "topic", "since", "until")
MAX_QUERY = 500
MAX_FILTER = 200
MAX_PER_USER = 100
_EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,63}$")


@dataclass(frozen=True)
class SavedSearch:
    id: int
    user_id: int
    user_name: str
    query: str
    email: str
    created_at: str
    last_digest_at: str | None
    filters: dict = field(default_factory=dict, hash=False, compare=False)


def clean_email(email: str) -> str:
    email = (email or "").strip()
    if not _EMAIL.match(email):
        raise CatalogError(f"{email[:80]!r} is not an e-mail address like name@example.org", field="email")
    return email


def clean_filters(filters: Mapping[str, str]) -> dict[str, str]:
    cleaned = {}
    for name, value in filters.items():
        if name not in SEARCH_FILTERS:
            raise CatalogError(f"unknown search filter {name!r}", field=name)
        value = (value or "").strip()
        if not value:
            continue
        if len(value) > MAX_FILTER:
            raise CatalogError(f"the {name} filter is longer than {MAX_FILTER} characters", field=name)
        if name in ("since", "until"):
            check_date(value, name)
        cleaned[name] = value
    return cleaned


def clean_query(query: str) -> str:
    query = (query or "").strip()
    if not query:
        raise CatalogError("type the words to search for", field="query")
    if len(query) > MAX_QUERY:
        raise CatalogError(f"the search is longer than {MAX_QUERY} characters", field="query")
    return query


_SELECT = """SELECT ss.id, ss.user_id, u.name, ss.query, ss.email, ss.created_at, ss.last_digest_at, ss.filters
             FROM saved_searches ss JOIN users u ON u.id = ss.user_id"""


class StaffSearches:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def save(self, user_id: int, query: str, filters: Mapping[str, str], email: str) -> int:
        """Save a search for ``user_id``'s digests; ``CatalogError`` naming the field at fault."""
        query, filters, email = clean_query(query), clean_filters(filters), clean_email(email)
        with transaction(self.db) as conn:
            count = conn.execute(
                "SELECT count(*) FROM saved_searches WHERE user_id = ?", (user_id,)
            ).fetchone()
            if count[0] >= MAX_PER_USER:
                raise CatalogError(f"a staffer can keep at most {MAX_PER_USER} saved searches", field="query")
            now = utcnow()
            cursor = conn.execute(
                "INSERT INTO saved_searches (user_id, query, filters, email, created_at) VALUES (?, ?, ?, ?, ?)",
                (user_id, query, json.dumps(filters, sort_keys=True), email, now),
            )
            # Timestamps have whole seconds: a session published in this same second, before the search was
            # saved, counts as already seen (the digest lists sessions published at or after ``created_at``).
            conn.execute(
                """INSERT INTO saved_search_sent (search_id, session_id, sent_at)
                   SELECT ?, id, ? FROM sessions
                   WHERE status = 'published' AND COALESCE(published_at, created_at) >= ?""",
                (cursor.lastrowid, now, now),
            )
            return cursor.lastrowid

    def list(self, user_id: int | None = None) -> list[SavedSearch]:
        """One staffer's saved searches (or everyone's, for the digest), oldest first; disabled users left out."""
        where, params = "WHERE u.disabled = 0", []
        if user_id is not None:
            where, params = "WHERE ss.user_id = ?", [user_id]
        rows = self.db.execute(f"{_SELECT} {where} ORDER BY ss.user_id, ss.id", params).fetchall()
        return [SavedSearch(*row[:7], filters=json.loads(row[7])) for row in rows]

    def remove(self, search_id: int, user_id: int) -> None:
        with transaction(self.db) as conn:
            cursor = conn.execute(
                "DELETE FROM saved_searches WHERE id = ? AND user_id = ?", (search_id, user_id)
            )
            if not cursor.rowcount:
                raise NotFound(f"no saved search {search_id} of yours")

    def sent_sessions(self, search_id: int) -> set[int]:
        """The sessions a search's digests have already listed."""
        rows = self.db.execute("SELECT session_id FROM saved_search_sent WHERE search_id = ?", (search_id,))
        return {row[0] for row in rows}

    def mark_sent(self, sent: Mapping[int, Iterable[int]]) -> None:
        """Record, in one transaction, that each search's digest listed these sessions (``{search id: ids}``)."""
        now = utcnow()
        with transaction(self.db) as conn:
            for search_id, session_ids in sent.items():
                conn.executemany(
                    "INSERT OR IGNORE INTO saved_search_sent (search_id, session_id, sent_at) VALUES (?, ?, ?)",
                    [(search_id, session_id, now) for session_id in session_ids],
                )
                conn.execute("UPDATE saved_searches SET last_digest_at = ? WHERE id = ?", (now, search_id))
