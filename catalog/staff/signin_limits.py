"""Failed staff sign-ins, kept in the catalog so that every server process (``serve --workers N``) sees them.

Two counts, never one per user alone (that would let anyone lock any account out, admins included):

* per client address: guessing many names from one address;
* per user name from one client address: guessing one account's password.

Each count is free up to its allowance within ``WINDOW`` seconds; past it, every further failure doubles the wait
after the last failure (``BASE_DELAY``, 2×, 4×, … up to ``MAX_DELAY``). A right password from another address is
never held up by someone else's guessing; a success clears that user's count from that address.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlite_utils

from catalog.store.db import transaction

WINDOW = 3600.0  # failures older than this are forgotten (and deleted)
BASE_DELAY = 30.0
MAX_DELAY = 900.0


@dataclass(frozen=True)
class Allowance:
    free: int  # failures within the window before any wait
    kind: str


PER_CLIENT = Allowance(20, "client")
PER_USER_AND_CLIENT = Allowance(5, "user")


def _keys(user_name: str, client: str) -> tuple[tuple[str, Allowance], ...]:
    return (
        (f"client {client}", PER_CLIENT),
        (f"user {user_name.casefold()} {client}", PER_USER_AND_CLIENT),
    )


def delay_after(failures: int, free: int) -> float:
    """Seconds to wait after the last failure, once ``failures`` have happened within the window."""
    if failures < free:
        return 0.0
    return min(MAX_DELAY, BASE_DELAY * 2 ** min(failures - free, 16))


class SigninLimits:
    """The sign-in counts on a catalog's connection. ``now`` is Unix time (passed in by tests)."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def retry_after(self, user_name: str, client: str, now: float | None = None) -> float:
        """Seconds until ``user_name`` may try again from ``client``; 0 when it may try now."""
        now = time.time() if now is None else now
        wait = 0.0
        for key, allowance in _keys(user_name, client):
            count, last = self.db.conn.execute(
                "SELECT count(*), max(at) FROM signin_failures WHERE key = ? AND at > ?", (key, now - WINDOW)
            ).fetchone()
            if count:
                wait = max(wait, last + delay_after(count, allowance.free) - now)
        return max(0.0, wait)

    def failed(self, user_name: str, client: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with transaction(self.db) as conn:
            conn.execute("DELETE FROM signin_failures WHERE at <= ?", (now - WINDOW,))
            conn.executemany(
                "INSERT INTO signin_failures (key, at) VALUES (?, ?)",
                [(key, now) for key, _ in _keys(user_name, client)],
            )

    def succeeded(self, user_name: str, client: str) -> None:
        _, (key, _) = _keys(user_name, client)
        with transaction(self.db) as conn:
            conn.execute("DELETE FROM signin_failures WHERE key = ?", (key,))
