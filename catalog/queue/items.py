"""Getting-sessions-in state: one row per item (a URL or a playlist entry), its caption state per language, and
the playlists/channels kept in sync. ``archive/`` drives these; the web staff area reads them to show progress.

Every function takes a ``Catalog`` and runs one statement or one transaction on its connection.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from catalog.errors import NotFound
from catalog.store.db import transaction, utcnow

if TYPE_CHECKING:
    from catalog.facade import Catalog

ITEM_STATES = ("pending", "running", "done", "failed")
CAPTION_STATES = ("pending", "done", "missing", "failed")


@dataclass(frozen=True)
class CaptionState:
    """What happened to one language of an item: ``done`` (with its ``source``), ``missing`` or ``failed``."""

    language: str
    state: str
    source: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Item:
    id: int
    key: str
    url: str
    parent_url: str | None
    title: str | None
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: str | None
    session_id: int | None
    options: dict
    created_at: str
    updated_at: str
    captions: tuple[CaptionState, ...] = ()


@dataclass(frozen=True)
class SyncRecord:
    id: int
    url: str
    options: dict
    last_synced_at: str | None
    last_count: int | None


_ITEM_COLUMNS = (
    "id, key, url, parent_url, title, state, attempts, last_error, next_attempt_at, session_id, options, "
    "created_at, updated_at"
)


# -- items ---------------------------------------------------------------------------------------------------
def upsert_item(
    catalog: Catalog,
    key: str,
    url: str,
    *,
    parent_url: str | None = None,
    title: str | None = None,
    options: dict | None = None,
) -> Item:
    """The item for ``key``, created ``pending`` if new. An existing item keeps its state; url, title, parent and
    options are refreshed when given."""
    now = utcnow()
    with transaction(catalog.db) as conn:
        conn.execute(
            "INSERT INTO items (key, url, parent_url, title, options, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET url = excluded.url, "
            "parent_url = coalesce(excluded.parent_url, items.parent_url), "
            "title = coalesce(excluded.title, items.title), "
            "options = CASE WHEN excluded.options = '{}' THEN items.options ELSE excluded.options END",
            (key, url, parent_url, title, json.dumps(options or {}, sort_keys=True), now, now),
        )
    return find_item(catalog, key)  # type: ignore[return-value]


def find_item(catalog: Catalog, key: str) -> Item | None:
    row = catalog.db.conn.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE key = ?", (key,)).fetchone()
    return _item(catalog, row) if row else None


def get_item(catalog: Catalog, item_id: int) -> Item | None:
    row = catalog.db.conn.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
    return _item(catalog, row) if row else None


def list_items(
    catalog: Catalog,
    *,
    states: Sequence[str] = (),
    parent_url: str | None = None,
    limit: int = 1000,
) -> list[Item]:
    """Items, oldest first, optionally only in ``states`` and from one playlist or channel."""
    where, params = [], []
    if states:
        where.append(f"state IN ({', '.join('?' * len(states))})")
        params.extend(states)
    if parent_url is not None:
        where.append("parent_url = ?")
        params.append(parent_url)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = catalog.db.conn.execute(
        f"SELECT {_ITEM_COLUMNS} FROM items {clause} ORDER BY id LIMIT ?", (*params, limit)
    ).fetchall()
    return [_item(catalog, row) for row in rows]


def item_states(catalog: Catalog, parent_url: str) -> dict[str, str]:
    """``{key: state}`` of every item already known from one playlist or channel."""
    rows = catalog.db.conn.execute("SELECT key, state FROM items WHERE parent_url = ?", (parent_url,))
    return dict(rows.fetchall())


def count_by_state(catalog: Catalog) -> dict[str, int]:
    counts = dict.fromkeys(ITEM_STATES, 0)
    for state, count in catalog.db.conn.execute("SELECT state, count(*) FROM items GROUP BY state"):
        counts[state] = count
    return counts


def mark_running(catalog: Catalog, item_id: int) -> None:
    """The item is being fetched now: one more attempt."""
    _update(
        catalog,
        item_id,
        "state = 'running', attempts = attempts + 1, last_error = NULL, next_attempt_at = NULL",
    )


def mark_pending(catalog: Catalog, item_ids: Iterable[int]) -> None:
    """Put items back in the queue (after an interruption, or before a retry)."""
    for item_id in item_ids:
        _update(catalog, item_id, "state = 'pending', next_attempt_at = NULL")


def mark_done(catalog: Catalog, item_id: int, *, session_id: int | None, title: str | None) -> None:
    _update(
        catalog,
        item_id,
        "state = 'done', session_id = ?, title = coalesce(?, title), last_error = NULL, next_attempt_at = NULL",
        (session_id, title),
    )


def mark_failed(
    catalog: Catalog,
    item_id: int,
    error: str,
    *,
    next_attempt_at: str | None = None,
    session_id: int | None = None,
    title: str | None = None,
) -> None:
    """The item failed with ``error``; ``next_attempt_at`` (ISO UTC) says when trying again makes sense."""
    _update(
        catalog,
        item_id,
        "state = 'failed', last_error = ?, next_attempt_at = ?, session_id = coalesce(?, session_id), "
        "title = coalesce(?, title)",
        (error, next_attempt_at, session_id, title),
    )


def set_captions(catalog: Catalog, item_id: int, captions: Sequence[CaptionState]) -> None:
    """Replace the item's caption state with one row per language."""
    with transaction(catalog.db) as conn:
        conn.execute("DELETE FROM item_captions WHERE item_id = ?", (item_id,))
        conn.executemany(
            "INSERT INTO item_captions (item_id, language, state, source, error) VALUES (?, ?, ?, ?, ?)",
            [(item_id, c.language, c.state, c.source, c.error) for c in captions],
        )


def caption_states(catalog: Catalog, item_id: int) -> tuple[CaptionState, ...]:
    rows = catalog.db.conn.execute(
        "SELECT language, state, source, error FROM item_captions WHERE item_id = ? ORDER BY language",
        (item_id,),
    )
    return tuple(CaptionState(*row) for row in rows)


def _update(catalog: Catalog, item_id: int, assignments: str, params: tuple = ()) -> None:
    with transaction(catalog.db) as conn:
        cursor = conn.execute(
            f"UPDATE items SET {assignments}, updated_at = ? WHERE id = ?", (*params, utcnow(), item_id)
        )
        if cursor.rowcount == 0:
            raise NotFound(f"no item with id {item_id}")


def _item(catalog: Catalog, row: tuple) -> Item:
    values = list(row)
    values[10] = json.loads(values[10] or "{}")
    return Item(*values, captions=caption_states(catalog, row[0]))


# -- syncs ---------------------------------------------------------------------------------------------------
def record_sync(catalog: Catalog, url: str, *, options: dict, count: int) -> None:
    """Remember that ``url`` (a playlist or channel) was listed now, with ``count`` entries."""
    with transaction(catalog.db) as conn:
        conn.execute(
            "INSERT INTO syncs (url, options, last_synced_at, last_count) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET options = excluded.options, "
            "last_synced_at = excluded.last_synced_at, last_count = excluded.last_count",
            (url, json.dumps(options, sort_keys=True), utcnow(), count),
        )


def list_syncs(catalog: Catalog) -> list[SyncRecord]:
    rows = catalog.db.conn.execute(
        "SELECT id, url, options, last_synced_at, last_count FROM syncs ORDER BY url"
    ).fetchall()
    return [SyncRecord(r[0], r[1], json.loads(r[2] or "{}"), r[3], r[4]) for r in rows]
