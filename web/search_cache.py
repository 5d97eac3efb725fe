"""A small in-process cache of answers to identical requests, dropped whenever the catalog file changes.

The web app keeps one per process. Before every lookup it asks ``Catalog.version_at(path)``, the catalog's data
version: a token read from the file system (no connection, no lock held meanwhile) that moves with every commit,
be it by a thread of this process, another worker process or a command-line ingest; any change empties the whole
cache. The HTTP validators (``web/http_cache.py``) and the open-data export key on the same version.

An answer computed while a change lands is not kept: it is stored only if no change was seen between the check
that preceded it and its storing; a change seen later drops it with the rest.
``Catalog.search`` itself never caches (its cost is what the benchmark measures); only callers that opt in do.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

from catalog import Catalog

T = TypeVar("T")

DEFAULT_SIZE = 512


class SearchCache:
    def __init__(self, path: str | Path, size: int = DEFAULT_SIZE, *, replica: bool = False):
        self.path = path if isinstance(path, str) else Path(path)  # a catalog file, or a PostgreSQL URL
        self.replica = replica  # ``path`` is a read replica's URL: its answers follow what it has replayed
        self.size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._generation = 0
        self._version: str | None = None  # the data version the entries were computed at
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], T], *, fresh: bool = False) -> T:
        """The cached answer for ``key``, or ``compute()``'s (kept when the catalog did not change meanwhile).
        ``fresh`` computes it anew whatever the cache holds (and keeps that)."""
        generation = self._check()
        with self._lock:
            if key in self._entries and not fresh:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]  # type: ignore[return-value]
            self.misses += 1
        value = compute()
        unchanged = self._check() == generation
        with self._lock:
            if unchanged and self._generation == generation:  # nothing changed while computing: keep it
                self._entries[key] = value
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def close(self) -> None:
        """Forget everything (as when the app stops)."""
        with self._lock:
            self._version = None
            self._entries.clear()
            self._generation += 1

    def __len__(self) -> int:
        return len(self._entries)

    def _check(self) -> int:
        """The generation after asking the catalog whether it changed; a change empties the cache.

        The version is read with the lock released; only the comparison and the clearing hold it. A version read
        late by a slow thread at worst empties the cache once more: it never keeps an answer older than a change.
        """
        version = Catalog.version_at(self.path, replica=self.replica).token
        with self._lock:
            if version != self._version:
                self._version = version
                self._entries.clear()
                self._generation += 1
            return self._generation
