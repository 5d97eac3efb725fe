"""The ingest queue: items (a URL or a playlist entry) with their caption state, the channels kept in sync, and
the shared work queue (``jobs``: what ``uscm-archive worker`` processes take with a lease).

``Catalog.queue`` is a ``Queue`` on the catalog's connection; ``archive/`` drives it, the staff area reads it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from catalog.errors import CatalogClosed
from catalog.queue import items, jobs, transcription
from catalog.queue.items import CAPTION_STATES, ITEM_STATES, CaptionState, Item, SyncRecord
from catalog.queue.jobs import JOB_STATES, Job
from catalog.queue.transcription import JobProgress

if TYPE_CHECKING:
    from catalog.facade import Catalog

__all__ = [
    "CAPTION_STATES",
    "ITEM_STATES",
    "JOB_STATES",
    "CaptionState",
    "Item",
    "Job",
    "JobProgress",
    "Queue",
    "SyncRecord",
]


class Queue:
    """The items to fetch and their state; every method is one statement or one transaction."""

    def __init__(self, catalog: Catalog):
        self._catalog = catalog

    def upsert(
        self,
        key: str,
        url: str,
        *,
        parent_url: str | None = None,
        title: str | None = None,
        options: dict | None = None,
    ) -> Item:
        """The item for ``key``, created ``pending`` if new (an existing one keeps its state)."""
        return items.upsert_item(self._catalog, key, url, parent_url=parent_url, title=title, options=options)

    def find(self, key: str) -> Item | None:
        return items.find_item(self._catalog, key)

    def get(self, item_id: int) -> Item | None:
        return items.get_item(self._catalog, item_id)

    def list(
        self, *, states: Sequence[str] = (), parent_url: str | None = None, limit: int = 1000
    ) -> list[Item]:
        """Items, oldest first, optionally only in ``states`` and from one playlist or channel."""
        return items.list_items(self._catalog, states=states, parent_url=parent_url, limit=limit)

    def states_from(self, parent_url: str) -> dict[str, str]:
        """``{key: state}`` of every item already known from one playlist or channel."""
        return items.item_states(self._catalog, parent_url)

    def count_by_state(self) -> dict[str, int]:
        return items.count_by_state(self._catalog)

    def mark_running(self, item_id: int) -> None:
        items.mark_running(self._catalog, item_id)

    def mark_pending(self, item_ids: Iterable[int]) -> None:
        items.mark_pending(self._catalog, item_ids)

    def mark_done(self, item_id: int, *, session_id: int | None, title: str | None) -> None:
        items.mark_done(self._catalog, item_id, session_id=session_id, title=title)

    def mark_failed(
        self,
        item_id: int,
        error: str,
        *,
        next_attempt_at: str | None = None,
        session_id: int | None = None,
        title: str | None = None,
    ) -> None:
        items.mark_failed(
            self._catalog, item_id, error, next_attempt_at=next_attempt_at, session_id=session_id, title=title
        )

    def set_captions(self, item_id: int, captions: Sequence[CaptionState]) -> None:
        items.set_captions(self._catalog, item_id, captions)

    def record_sync(self, url: str, *, options: dict, count: int) -> None:
        items.record_sync(self._catalog, url, options=options, count=count)

    def syncs(self) -> list[SyncRecord]:
        return items.list_syncs(self._catalog)

    # -- transcription jobs (catalog/queue/transcription.py): items keyed ``transcribe:<session id>`` ----------
    @staticmethod
    def is_transcription(item: Item) -> bool:
        return transcription.is_job(item)

    def queue_transcription(self, session_id: int, title: str, *, requested_by: str | None = None) -> Item:
        """The session's transcription job, queued ``pending`` now (again, if it ran before)."""
        return transcription.queue_job(self._catalog, session_id, title, requested_by=requested_by)

    def find_transcription(self, session_id: int) -> Item | None:
        return transcription.find_job(self._catalog, session_id)

    def unfinished_transcriptions(self) -> list[Item]:
        """Jobs queued or interrupted (``running`` with no process left), oldest first."""
        return transcription.unfinished(self._catalog)

    def set_progress(self, item_id: int, percent: float) -> None:
        transcription.set_progress(self._catalog, item_id, percent)

    def request_cancel(self, item_id: int) -> bool:
        """Ask a job to stop (one not started is cancelled at once); False when it had already finished."""
        return transcription.request_cancel(self._catalog, item_id)

    def cancel_requested(self, item_id: int) -> bool:
        return transcription.cancel_requested(self._catalog, item_id)

    def mark_cancelled(self, item_id: int) -> None:
        """A job that stopped when asked: failed, with the error "cancelled"."""
        items.mark_failed(self._catalog, item_id, transcription.CANCELLED)

    def transcriptions(self, *, limit: int = 50) -> list[JobProgress]:
        """The newest transcription jobs first, with their percent done."""
        return transcription.job_progress(self._catalog, limit=limit)

    # -- the shared work queue (catalog/queue/jobs.py): jobs taken by workers with a lease ----------------------
    def enqueue_job(
        self,
        kind: str,
        payload: dict | None = None,
        *,
        data: bytes | None = None,
        item_id: int | None = None,
        max_attempts: int = jobs.MAX_ATTEMPTS,
    ) -> Job:
        """A new job, ready now; ``data`` (an uploaded file) is kept with it until it is done."""
        return jobs.enqueue(
            self._catalog, kind, payload, data=data, item_id=item_id, max_attempts=max_attempts
        )

    def claim_job(self, owner: str, lease_seconds: float, *, kinds: Sequence[str] = ()) -> Job | None:
        """Take the oldest ready job (or one whose lease ran out) for ``owner`` until the lease ends;
        ``CatalogClosed`` once the catalog has been closed (a worker thread outliving its app)."""
        try:
            return jobs.claim(self._catalog, owner, lease_seconds, kinds=kinds)
        except sqlite3.ProgrammingError as exc:
            if "closed" not in str(exc):
                raise
            raise CatalogClosed(str(exc)) from exc

    def renew_lease(self, job_id: int, owner: str, lease_seconds: float) -> bool:
        return jobs.renew(self._catalog, job_id, owner, lease_seconds)

    def finish_job(self, job_id: int, owner: str, result: dict | None = None) -> bool:
        return jobs.finish(self._catalog, job_id, owner, result)

    def fail_job(self, job_id: int, owner: str, error: str, *, retry: bool = True) -> Job | None:
        """Queued again after a growing delay while attempts remain (and ``retry``), else failed."""
        return jobs.fail(self._catalog, job_id, owner, error, retry=retry)

    def release_job(self, job_id: int, owner: str) -> bool:
        return jobs.release(self._catalog, job_id, owner)

    def job(self, job_id: int) -> Job | None:
        return jobs.get(self._catalog, job_id)

    def job_data(self, job_id: int) -> bytes | None:
        return jobs.data(self._catalog, job_id)

    def jobs(self, *, states: Sequence[str] = (), limit: int = 100) -> list[Job]:
        """Jobs, newest first."""
        return jobs.list_jobs(self._catalog, states=states, limit=limit)

    def count_jobs(self) -> dict[str, int]:
        return jobs.count_by_state(self._catalog)
