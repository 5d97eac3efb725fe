"""A small in-process cache of answers to identical requests, dropped whenever the catalog file changes.

The web app keeps one per process. The cache holds a catalog of its own on the file, which never writes: its
``data_version()`` moves whenever *any other* connection commits, be it a thread of this process, another worker
process or a command-line ingest. It is asked before every lookup (outside the cache's lock, so threads never
queue behind SQLite); any change empties the whole cache.

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
    def __init__(self, path: str | Path, size: int = DEFAULT_SIZE):
        self.path = Path(path)
        self.size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._generation = 0
        self._watcher = None  # the cache's own connection, opened on first use
        self._version: tuple | None = None  # (watcher, its data_version): versions of two connections differ
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
        """Close the cache's connection and forget everything: versions of two connections do not compare."""
        with self._lock:
            if self._watcher is not None:
                self._watcher.close()
                self._watcher = None
            self._version = None
            self._entries.clear()
            self._generation += 1

    def __len__(self) -> int:
        return len(self._entries)

    def _check(self) -> int:
        """The generation after asking the catalog whether it changed; a change empties the cache.

        The catalog is asked with the lock released; only the comparison and the clearing hold it. A version read
        late by a slow thread at worst empties the cache once more: it never keeps an answer older than a change.
        """
        watcher = self._watcher_catalog()
        version = (watcher, watcher.data_version())
        with self._lock:
            if version != self._version:
                self._version = version
                self._entries.clear()
                self._generation += 1
            return self._generation

    def _watcher_catalog(self) -> Catalog:
        watcher = self._watcher
        if watcher is not None:
            return watcher
        opened = Catalog.open(self.path)  # a new connection: what was cached before it counts as changed
        with self._lock:
            if self._watcher is None:
                self._watcher = opened
                return opened
            watcher = self._watcher
        opened.close()
        return watcher
