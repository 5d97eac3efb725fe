"""Transcription jobs on the ingest queue: an item keyed ``transcribe:<session id>`` per session, with the
percent of its audio done and a cancel flag another process (the staff dashboard, the CLI) can set.

The item's states are the queue's own: ``pending`` -> ``running`` -> ``done`` or ``failed`` (a cancelled job
is failed with "cancelled"). A job left ``running`` by a stopped process is found by ``unfinished`` and run again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from catalog.queue.items import Item, get_item, list_items
from catalog.store.db import transaction, utcnow

if TYPE_CHECKING:
    from catalog.facade import Catalog

KEY_PREFIX = "transcribe:"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobProgress:
    item_id: int
    session_id: int | None
    title: str | None
    state: str
    percent: float | None
    cancel_requested: bool
    last_error: str | None


def is_job(item: Item) -> bool:
    return item.key.startswith(KEY_PREFIX)


def queue_job(catalog: Catalog, session_id: int, title: str, *, requested_by: str | None = None) -> Item:
    """The session's job, queued ``pending`` now (again, if it ran before)."""
    key = f"{KEY_PREFIX}{session_id}"
    now = utcnow()
    options = json.dumps({"transcribe": True, "requested_by": requested_by}, sort_keys=True)
    with transaction(catalog.db) as conn:
        conn.execute(
            "INSERT INTO items (key, url, title, options, session_id, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET title = excluded.title, "
            "options = excluded.options, updated_at = excluded.updated_at",
            (key, f"session:{session_id}", f"Transcribe: {title}", options, session_id, now, now),
        )
        conn.execute(
            "UPDATE items SET state = 'pending', progress = 0, cancel_requested = 0, last_error = NULL, "
            "next_attempt_at = NULL WHERE key = ?",
            (key,),
        )
    return find_job(catalog, session_id)  # type: ignore[return-value]


def find_job(catalog: Catalog, session_id: int) -> Item | None:
    row = catalog.db.conn.execute(
        "SELECT id FROM items WHERE key = ?", (f"{KEY_PREFIX}{session_id}",)
    ).fetchone()
    return get_item(catalog, row[0]) if row else None


def unfinished(catalog: Catalog) -> list[Item]:
    """Jobs queued or interrupted (``running`` with no process left to finish them), oldest first."""
    return [item for item in list_items(catalog, states=("pending", "running")) if is_job(item)]


def set_progress(catalog: Catalog, item_id: int, percent: float) -> None:
    with transaction(catalog.db) as conn:
        conn.execute("UPDATE items SET progress = ? WHERE id = ?", (round(percent, 1), item_id))


def request_cancel(catalog: Catalog, item_id: int) -> bool:
    """Ask the job to stop; a job not started yet is cancelled at once. False when it had already finished."""
    with transaction(catalog.db) as conn:
        row = conn.execute("SELECT state FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None or row[0] not in ("pending", "running"):
            return False
        conn.execute("UPDATE items SET cancel_requested = 1 WHERE id = ?", (item_id,))
        if row[0] == "pending":
            conn.execute(
                "UPDATE items SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
                (CANCELLED, utcnow(), item_id),
            )
    return True


def cancel_requested(catalog: Catalog, item_id: int) -> bool:
    row = catalog.db.conn.execute("SELECT cancel_requested FROM items WHERE id = ?", (item_id,)).fetchone()
    return bool(row and row[0])


def job_progress(catalog: Catalog, *, limit: int = 50) -> list[JobProgress]:
    """The newest jobs first, with their percent done (for the staff dashboard and ``transcribe --status``)."""
    rows = catalog.db.conn.execute(
        "SELECT id, session_id, title, state, progress, cancel_requested, last_error FROM items "
        "WHERE key LIKE 'transcribe:%' ORDER BY updated_at DESC, id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [JobProgress(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]
