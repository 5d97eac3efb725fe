"""Keeping the archive safe: online backup, validated restore, integrity checks, and a full dump/load.

``Catalog.ops`` works on an open catalog; ``ops_for(path)`` on a catalog file that need not open (restore over a
damaged file, check one that fails to migrate). Both are a ``CatalogOps``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.ops import backup as _backup
from catalog.ops.backup import CatalogFileInfo, RestoreResult
from catalog.ops.dump import DumpCounts, dump_archive
from catalog.ops.load import load_archive

if TYPE_CHECKING:
    from collections.abc import Iterator

    from catalog.facade import Catalog

__all__ = ["CatalogFileInfo", "CatalogOps", "DumpCounts", "RestoreResult", "ops_for"]


class CatalogOps:
    """Backup, restore, check (on the file) and dump, load (through a connection) of one catalog."""

    def __init__(self, path: Path, catalog: Catalog | None = None):
        self.path = Path(path)
        self._catalog = catalog

    def backup(self, target: str | Path, *, overwrite: bool = False) -> CatalogFileInfo:
        """Copy the live catalog to ``target`` with SQLite's online backup (safe while serving)."""
        return _backup.backup(self.path, target, overwrite=overwrite)

    def restore(self, source: str | Path) -> RestoreResult:
        """Replace the catalog with the checked backup ``source``; the current one is kept beside it."""
        return _backup.restore(self.path, source)

    def check(self) -> list[str]:
        """Integrity, foreign keys, full-text indexes against their text, per-session counts: the problems."""
        return _backup.check_file(self.path)

    def dump(self, data_dir: Path, out_dir: Path, *, media: bool = False) -> DumpCounts:
        """Write the whole archive (data folder ``data_dir``) as JSON Lines and files into ``out_dir``."""
        with self._connection() as conn:
            return dump_archive(conn, data_dir, out_dir, media=media)

    def load(self, data_dir: Path, in_dir: Path, *, merge: bool = False) -> DumpCounts:
        """Read a dump folder into the archive: all or nothing (``merge`` adds only new sources)."""
        with self._connection() as conn:
            return load_archive(conn, data_dir, in_dir, merge=merge)

    @contextmanager
    def _connection(self) -> Iterator:
        if self._catalog is not None:
            yield self._catalog.db.conn
            return
        from catalog.facade import Catalog

        catalog = Catalog.open(self.path)
        try:
            yield catalog.db.conn
        finally:
            catalog.close()


def ops_for(path: str | Path) -> CatalogOps:
    """The operations on the catalog file at ``path``, without opening (or migrating) it first."""
    return CatalogOps(Path(path))
