"""One ``Catalog`` per worker thread and catalog target, opened on first use, closed when its thread ends or the
app stops.

The target of a request is the primary catalog unless ``web/replicas.py`` chose a read replica for it (it sets
``current_target`` for the request); ``catalog_for(request)`` gives the calling thread's catalog on that target.
"""

from __future__ import annotations

import contextlib
import threading
from contextvars import ContextVar
from pathlib import Path

from starlette.requests import Request

from catalog import Catalog, CatalogError

# the PostgreSQL URL of the standby this request reads from; None: the primary (set by web/replicas.py)
current_target: ContextVar[str | None] = ContextVar("catalog_target", default=None)
# the replica catalogs this request used (web/replicas.py looks at them when the answer is an error)
used_replicas: ContextVar[list | None] = ContextVar("used_replicas", default=None)


class CatalogUnavailable(Exception):
    """The catalog file cannot be opened: the server's problem (503), not the reader's."""


class CatalogPool:
    """The thread pool that runs sync routes lets a thread go after a while idle and starts new ones under load,
    so threads come and go for as long as the server runs: a catalog (a connection with its page cache, up to
    64 MiB) whose thread has ended is closed when the next thread opens its own, not kept until shutdown."""

    def __init__(self, path: Path | str):
        self.path = path if isinstance(path, str) else Path(path)  # a catalog file, or a PostgreSQL URL
        self._local = threading.local()
        self._opened: list[tuple[threading.Thread, Catalog]] = []
        self._lock = threading.Lock()

    def get(self, replica: str | None = None) -> Catalog:
        """This thread's catalog (a SQLite connection must not be shared between threads at once): the primary,
        or the read replica at ``replica``."""
        catalogs = getattr(self._local, "catalogs", None)
        if catalogs is None:
            catalogs = self._local.catalogs = {}
        catalog = catalogs.get(replica)
        if catalog is not None and replica and catalog.connection_lost():
            self.drop(replica)
            catalog = None
        if catalog is None:
            try:
                catalog = Catalog.open_replica(replica) if replica else Catalog.open(self.path)
            except CatalogError as exc:
                raise CatalogUnavailable(str(exc)) from exc
            catalogs[replica] = catalog
            with self._lock:
                ended = [c for thread, c in self._opened if not thread.is_alive()]
                self._opened = [(t, c) for t, c in self._opened if t.is_alive()]
                self._opened.append((threading.current_thread(), catalog))
            for old in ended:
                old.close()
        return catalog

    def open_count(self) -> int:
        """Catalogs open now (one per live thread that has used one)."""
        with self._lock:
            return len(self._opened)

    def drop(self, replica: str) -> None:
        """Forget this thread's catalog on ``replica`` (its connection failed)."""
        catalogs = getattr(self._local, "catalogs", None) or {}
        catalog = catalogs.pop(replica, None)
        if catalog is not None:
            with self._lock:
                self._opened = [(t, c) for t, c in self._opened if c is not catalog]
            with contextlib.suppress(
                Exception
            ):  # a broken connection may fail to close; it is gone either way
                catalog.close()

    def close_all(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for _, catalog in opened:
            catalog.close()
        self._local = threading.local()


def catalog_for(request: Request) -> Catalog:
    """The calling thread's catalog for this request: the primary, or the read replica chosen for it. Call it
    inside a sync route body (which runs on a worker thread)."""
    target = current_target.get()
    catalog = request.app.state.catalogs.get(target)
    used = used_replicas.get()
    if target and used is not None:
        used.append(catalog)
    return catalog
