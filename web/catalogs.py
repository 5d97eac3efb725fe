"""One ``Catalog`` per worker thread, opened on first use and closed when the app stops."""

from __future__ import annotations

import threading
from pathlib import Path

from starlette.requests import Request

from catalog import Catalog, CatalogError


class CatalogUnavailable(Exception):
    """The catalog file cannot be opened: the server's problem (503), not the reader's."""


class CatalogPool:
    def __init__(self, path: Path | str):
        self.path = path if isinstance(path, str) else Path(path)  # a catalog file, or a PostgreSQL URL
        self._local = threading.local()
        self._opened: list[Catalog] = []
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
                self._opened.append(catalog)
        return catalog

    def close_all(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for catalog in opened:
            catalog.close()
        self._local = threading.local()


def catalog_for(request: Request) -> Catalog:
    """The calling thread's catalog. Call it inside a sync route body (which runs on a worker thread)."""
    return request.app.state.catalogs.get()
