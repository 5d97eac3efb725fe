"""A small in-process cache of answers to identical requests, dropped whenever the catalog changes.

The web app keeps one per process; each thread reads through its own ``Catalog``. Before every lookup the calling
connection is asked whether the file changed since it last asked: ``PRAGMA data_version`` moves when any *other*
connection (another thread, another worker process, a command-line ingest) commits, and the connection's own
``total_changes`` moves when it writes itself. Any change seen through any connection empties the whole cache.

An answer computed while a change lands is not kept: it is stored only if no change was seen between the check
that preceded it and its storing; one seen later (by any connection) drops it with the rest.
``Catalog.search`` itself never caches (its cost is what the benchmark measures); only callers that opt in do.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_SIZE = 512


class SearchCache:
    def __init__(self, size: int = DEFAULT_SIZE):
        self.size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._generation = 0
        self._seen: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Catalog -> last state seen
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, catalog, key: Hashable, compute: Callable[[], T], *, fresh: bool = False) -> T:
        """The cached answer for ``key``, or ``compute()``'s (kept when the catalog did not change meanwhile).
        ``fresh`` computes it anew whatever the cache holds (and keeps that)."""
        generation = self._check(catalog)
        with self._lock:
            if key in self._entries and not fresh:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]  # type: ignore[return-value]
            self.misses += 1
        value = compute()
        if self._check(catalog) != generation:
            return value  # the catalog changed while computing: answer, but do not keep
        with self._lock:
            if self._generation == generation:
                self._entries[key] = value
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def __len__(self) -> int:
        return len(self._entries)

    def _check(self, catalog) -> int:
        """The cache generation after looking for changes through ``catalog``'s connection; a change (or a
        connection not seen before) empties the cache."""
        conn = catalog.db.conn
        state = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
        with self._lock:
            if self._seen.get(catalog) != state:
                self._seen[catalog] = state
                self._entries.clear()
                self._generation += 1
            return self._generation
