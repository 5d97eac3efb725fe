"""The shared work queue: jobs that any worker process takes with a lease, in the catalog every node shares.

A job is ``queued`` (ready from ``next_try_at``) -> ``running`` (held by ``lease_owner`` until
``lease_expires_at``; the worker renews the lease while it works) -> ``done`` or ``failed``. Taking a job is one
write transaction: on SQLite ``BEGIN IMMEDIATE`` makes the one writer the arbiter; on PostgreSQL the same
statement gets ``FOR UPDATE SKIP LOCKED`` (``_ready_job``, the one place that differs). A job whose lease ran out
(its worker was killed, or lost its machine) is ready again and counts one more attempt. A failure puts the job
back with a doubling delay until ``max_attempts``; then it stays ``failed`` with its last error. Only the lease's
owner can finish, fail or renew a job, so a worker that lost its lease cannot overwrite the one that took over.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from catalog.errors import CatalogError, NotFound
from catalog.store.db import transaction

if TYPE_CHECKING:
    from catalog.facade import Catalog

JOB_STATES = ("queued", "running", "done", "failed")
MAX_ATTEMPTS = 5
BASE_BACKOFF = 2.0  # seconds after the first failure, doubling
MAX_BACKOFF = 600.0
MAX_PAYLOAD = 64 * 1024  # characters of JSON; bulky input goes in ``data``


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict
    item_id: int | None
    state: str
    attempts: int
    max_attempts: int
    lease_owner: str | None
    lease_expires_at: str | None
    next_try_at: str
    last_error: str | None
    result: dict
    created_at: str
    updated_at: str


_COLUMNS = (
    "id, kind, payload, item_id, state, attempts, max_attempts, lease_owner, lease_expires_at, next_try_at, "
    "last_error, result, created_at, updated_at"
)


def timestamp(moment: datetime | None = None) -> str:
    """ISO-8601 UTC with milliseconds: leases are seconds long, and text order is time order."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _later(seconds: float) -> str:
    return timestamp(datetime.now(UTC) + timedelta(seconds=seconds))


def backoff(attempts: int) -> float:
    """Seconds before a job that failed ``attempts`` times is tried again."""
    return min(MAX_BACKOFF, BASE_BACKOFF * 2 ** max(0, attempts - 1))


def enqueue(
    catalog: Catalog,
    kind: str,
    payload: dict | None = None,
    *,
    data: bytes | None = None,
    item_id: int | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> Job:
    """A new ``queued`` job, ready now."""
    text = json.dumps(payload or {}, sort_keys=True)
    if not kind or len(kind) > 40:
        raise CatalogError(f"{kind!r} is not a job kind", field="kind")
    if len(text) > MAX_PAYLOAD:
        raise CatalogError(f"a job's payload is limited to {MAX_PAYLOAD} characters", field="payload")
    if max_attempts < 1:
        raise CatalogError("a job needs at least one attempt", field="max_attempts")
    now = timestamp()
    with transaction(catalog.db) as conn:
        cursor = conn.execute(
            "INSERT INTO jobs (kind, payload, data, item_id, max_attempts, next_try_at, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, text, data, item_id, max_attempts, now, now, now),
        )
        job_id = cursor.lastrowid
    return get(catalog, job_id)  # type: ignore[arg-type, return-value]


def claim(catalog: Catalog, owner: str, lease_seconds: float, *, kinds: Sequence[str] = ()) -> Job | None:
    """Take the oldest ready job (queued and due, or running with its lease run out) for ``owner``, or None.

    A job whose lease ran out with no attempt left is failed here instead (its last worker never came back).
    """
    now = timestamp()
    if _ready_job(catalog, catalog.db.conn, now, kinds, lock=False) is None:
        return None  # an idle worker's poll reads only: it takes no write lock
    with transaction(catalog.db) as conn:
        while True:
            row = _ready_job(catalog, conn, now, kinds)
            if row is None:
                return None
            job_id, attempts, max_attempts, state = row
            if state == "running" and attempts >= max_attempts:
                error = f"its worker stopped before finishing it (attempt {attempts} of {max_attempts})"
                conn.execute(
                    "UPDATE jobs SET state = 'failed', data = NULL, lease_owner = NULL, lease_expires_at = NULL, "
                    "last_error = coalesce(last_error, ?), updated_at = ? WHERE id = ?",
                    (error, now, job_id),
                )
                _fail_item(conn, job_id, error, now)
                continue
            conn.execute(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, "
                "lease_expires_at = ?, updated_at = ? WHERE id = ?",
                (owner, _later(lease_seconds), now, job_id),
            )
            break
    return get(catalog, job_id)


def _ready_job(catalog: Catalog, conn, now: str, kinds: Sequence[str], *, lock: bool = True) -> tuple | None:
    """The next job to take, inside the claim's write transaction. The PostgreSQL catalog appends
    ``FOR UPDATE SKIP LOCKED`` here (its many writers skip each other's rows instead of waiting)."""
    kind_clause = f"AND kind IN ({', '.join('?' * len(kinds))}) " if kinds else ""
    sql = (
        "SELECT id, attempts, max_attempts, state FROM jobs "
        "WHERE ((state = 'queued' AND next_try_at <= ?) OR (state = 'running' AND lease_expires_at <= ?)) "
        f"{kind_clause}ORDER BY next_try_at, id LIMIT 1"
    )
    if lock and getattr(catalog, "backend", "sqlite") == "postgresql":
        sql += " FOR UPDATE SKIP LOCKED"
    return conn.execute(sql, (now, now, *kinds)).fetchone()


def renew(catalog: Catalog, job_id: int, owner: str, lease_seconds: float) -> bool:
    """Extend ``owner``'s lease; False when the job is no longer its own (the lease ran out and was taken)."""
    with transaction(catalog.db) as conn:
        cursor = conn.execute(
            "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?",
            (_later(lease_seconds), job_id, owner),
        )
        return cursor.rowcount == 1


def finish(catalog: Catalog, job_id: int, owner: str, result: dict | None = None) -> bool:
    """The job is done; False (and nothing changed) when ``owner`` no longer holds it."""
    with transaction(catalog.db) as conn:
        cursor = conn.execute(
            "UPDATE jobs SET state = 'done', data = NULL, result = ?, last_error = NULL, lease_owner = NULL, "
            "lease_expires_at = NULL, updated_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?",
            (json.dumps(result or {}, sort_keys=True), timestamp(), job_id, owner),
        )
        return cursor.rowcount == 1


def fail(catalog: Catalog, job_id: int, owner: str, error: str, *, retry: bool = True) -> Job | None:
    """The attempt failed with ``error``: queued again after ``backoff`` while attempts remain (and ``retry``),
    else ``failed``. None when ``owner`` no longer holds the job."""
    now = timestamp()
    with transaction(catalog.db) as conn:
        row = conn.execute(
            "SELECT attempts, max_attempts FROM jobs WHERE id = ? AND state = 'running' AND lease_owner = ?",
            (job_id, owner),
        ).fetchone()
        if row is None:
            return None
        attempts, max_attempts = row
        if retry and attempts < max_attempts:
            conn.execute(
                "UPDATE jobs SET state = 'queued', next_try_at = ?, last_error = ?, lease_owner = NULL, "
                "lease_expires_at = NULL, updated_at = ? WHERE id = ?",
                (_later(backoff(attempts)), error[:2000], now, job_id),
            )
        else:
            conn.execute(
                "UPDATE jobs SET state = 'failed', data = NULL, last_error = ?, lease_owner = NULL, "
                "lease_expires_at = NULL, updated_at = ? WHERE id = ?",
                (error[:2000], now, job_id),
            )
            _fail_item(conn, job_id, error[:2000], now)
    return get(catalog, job_id)


def _fail_item(conn, job_id: int, error: str, now: str) -> None:
    """A job given up on fails its ingest item too (unless the item got further on its own), so that the staff
    progress page and ``status`` say so instead of waiting forever."""
    conn.execute(
        "UPDATE items SET state = 'failed', last_error = ?, updated_at = ? "
        "WHERE id = (SELECT item_id FROM jobs WHERE id = ?) AND state IN ('pending', 'running')",
        (error, now, job_id),
    )


def release(catalog: Catalog, job_id: int, owner: str) -> bool:
    """Give a job back untouched (a worker told to stop before it began): ready now, the attempt not counted."""
    with transaction(catalog.db) as conn:
        cursor = conn.execute(
            "UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, next_try_at = ?, "
            "lease_owner = NULL, lease_expires_at = NULL, updated_at = ? "
            "WHERE id = ? AND state = 'running' AND lease_owner = ?",
            (timestamp(), timestamp(), job_id, owner),
        )
        return cursor.rowcount == 1


def get(catalog: Catalog, job_id: int) -> Job | None:
    row = catalog.db.conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return _job(row) if row else None


def require(catalog: Catalog, job_id: int) -> Job:
    job = get(catalog, job_id)
    if job is None:
        raise NotFound(f"no job with id {job_id}")
    return job


def data(catalog: Catalog, job_id: int) -> bytes | None:
    """The bytes given with the job (an uploaded file), until it is done."""
    row = catalog.db.conn.execute("SELECT data FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return bytes(row[0]) if row and row[0] is not None else None


def list_jobs(catalog: Catalog, *, states: Sequence[str] = (), limit: int = 100) -> list[Job]:
    """Jobs, newest first, optionally only in ``states``."""
    where = f"WHERE state IN ({', '.join('?' * len(states))}) " if states else ""
    rows = catalog.db.conn.execute(
        f"SELECT {_COLUMNS} FROM jobs {where}ORDER BY id DESC LIMIT ?", (*states, limit)
    ).fetchall()
    return [_job(row) for row in rows]


def count_by_state(catalog: Catalog) -> dict[str, int]:
    counts = dict.fromkeys(JOB_STATES, 0)
    for state, count in catalog.db.conn.execute("SELECT state, count(*) FROM jobs GROUP BY state"):
        counts[state] = count
    return counts


def _job(row: tuple) -> Job:
    values = list(row)
    values[2] = json.loads(values[2] or "{}")
    values[11] = json.loads(values[11] or "{}")
    return Job(*values)
