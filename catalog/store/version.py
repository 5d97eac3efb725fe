"""The catalog file's data version: one token, the same in every process, that moves with every commit.

It is the catalog's one notion of "did the data change" (``Catalog.data_version()``, ``Catalog.version_at(path)``):
the web app's search cache, the HTTP validators (ETag, Last-Modified) and the open-data export all key on it.

Why not SQLite's ``PRAGMA data_version``: it is a number *per connection* that moves when *another* connection
commits. Two worker processes (or a worker and the command line) hold different numbers for the same data, and
equal numbers for different data, so it cannot make an ETag that every worker agrees on, nor record in an export
file which catalog state it was made from. It also misses the asking connection's own commits.

So the version comes from the files, as every process sees them:

- ``catalog.db``: inode, modification time, size (a checkpoint or a restore rewrites it);
- ``catalog.db-wal``: the same (a commit appends to it);
- the WAL index header in ``catalog.db-shm`` (https://www.sqlite.org/walformat.html, "the wal-index header"),
  which SQLite rewrites on every commit: its change counter, last frame, salts and running checksum. This is what
  makes the token exact: after a checkpoint, the WAL restarts from its beginning at the same size, and two commits
  within one tick of the file-system clock would otherwise look alike.

Equal tokens mean the same data. A checkpoint (or the last connection closing) moves the token without changing
the data; that costs a cache miss, never a stale answer. Read the version *before* the data it stands for.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

WAL_INDEX_HEADER = 48  # bytes; SQLite keeps two copies, one after the other, and writes them in turn
HEADER_TRIES = 100


@dataclass(frozen=True)
class DataVersion:
    token: str  # 16 hex digits; equal tokens mean the same data
    modified: float  # seconds since the epoch of the last write to the file or its log


def file_version(path: str | Path) -> DataVersion:
    """The version of the catalog at ``path`` (a missing file has its own version, ``modified`` 0)."""
    parts, newest = [], 0.0
    wal_in_use = False
    for name in (str(path), f"{path}-wal"):
        try:
            stat = os.stat(name)
        except FileNotFoundError:
            stat = None
        if stat is None or (name.endswith("-wal") and stat.st_size == 0):
            parts.append("-")  # no log and an empty one (a connection just opened) hold the same data
            continue
        wal_in_use = name.endswith("-wal")
        parts.append(f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}")
        newest = max(newest, stat.st_mtime)
    parts.append(_wal_index_header(f"{path}-shm").hex() if wal_in_use else "-")
    token = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    return DataVersion(token, newest)


def _wal_index_header(shm: str) -> bytes:
    """The WAL index header as every connection reads it; empty without one; random bytes (a new token: a miss,
    never a stale answer) if a writer kept rewriting it while it was read."""
    try:
        with open(shm, "rb") as file:
            for _ in range(HEADER_TRIES):
                both = os.pread(file.fileno(), 2 * WAL_INDEX_HEADER, 0)
                first, second = both[:WAL_INDEX_HEADER], both[WAL_INDEX_HEADER:]
                if first == second:
                    return first
    except FileNotFoundError:
        return b""
    return os.urandom(WAL_INDEX_HEADER)
