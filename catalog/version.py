"""The catalog file's data version, the same in every process: what HTTP validators and the public export key on.

SQLite's ``PRAGMA data_version`` is per connection (two processes see different numbers for the same data), so
the version here comes from the catalog file and its write-ahead log as the file system reports them: every commit
appends to ``catalog.db-wal`` (its size or modification time moves) and every checkpoint rewrites ``catalog.db``.
A checkpoint also moves the version without changing the data; that costs a cache miss, never a stale answer.
Read the version *before* reading the data it stands for.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataVersion:
    token: str  # 16 hex digits; equal tokens mean the same data
    modified: float  # seconds since the epoch of the last write to the file or its log


def data_version(path: str | Path) -> DataVersion:
    """The version of the catalog at ``path`` (a missing file has its own version, ``modified`` 0)."""
    parts, newest = [], 0.0
    for name in (str(path), f"{path}-wal"):
        try:
            stat = os.stat(name)
        except FileNotFoundError:
            stat = None
        if stat is None or (name.endswith("-wal") and stat.st_size == 0):
            parts.append("-")  # no log and an empty one (a connection just opened) hold the same data
            continue
        parts.append(f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}")
        newest = max(newest, stat.st_mtime)
    token = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    return DataVersion(token, newest)
