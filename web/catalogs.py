"""One ``Catalog`` per worker thread, opened on first use, closed when its thread ends or the app stops."""

from __future__ import annotations

import threading
from pathlib import Path

from starlette.requests import Request

from catalog import Catalog, CatalogError


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

    def get(self) -> Catalog:
        """This thread's catalog (a SQLite connection must not be shared between threads at once)."""
        catalog = getattr(self._local, "catalog", None)
        if catalog is None:
            try:
                catalog = Catalog.open(self.path)
            except CatalogError as exc:
                raise CatalogUnavailable(str(exc)) from exc
            self._local.catalog = catalog
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

    def close_all(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for _, catalog in opened:
            catalog.close()
        self._local = threading.local()


def catalog_for(request: Request) -> Catalog:
    """The calling thread's catalog. Call it inside a sync route body (which runs on a worker thread)."""
    return request.app.state.catalogs.get()
