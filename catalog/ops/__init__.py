"""Keeping the archive safe: online backup, validated restore, integrity checks, a full dump/load, and the record
of every file placed in the data folder (its size and sha256, for ``check``); and the public export (the published
part as one SQLite file for Datasette, ``public_export.py``).

``Catalog.ops`` works on an open catalog; ``ops_for(path)`` on a catalog file that need not open (restore over a
damaged file, check one that fails to migrate). Both are a ``CatalogOps``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.ops import backup as _backup
from catalog.ops import compact as _compact
from catalog.ops.backup import CatalogFileInfo, RestoreResult
from catalog.ops.compact import Compaction, IndexShape
from catalog.ops.data_files import DataFiles, ExpectedFile
from catalog.ops.dump import DumpCounts, Progress, dump_archive
from catalog.ops.load import load_archive
from catalog.ops.public_export import ExportSummary, export_public
from catalog.store.db import is_url

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from catalog.facade import Catalog
    from catalog.files import FileStore

__all__ = [
    "CatalogFileInfo",
    "CatalogOps",
    "Compaction",
    "DumpCounts",
    "ExpectedFile",
    "ExportSummary",
    "IndexShape",
    "RestoreResult",
    "ops_for",
]


class CatalogOps:
    """Backup, restore, check (on the file) and dump, load (through a connection) of one catalog."""

    def __init__(self, path: Path | str, catalog: Catalog | None = None):
        self.path = path if is_url(path) else Path(path)  # the catalog file, or a PostgreSQL URL
        self._catalog = catalog

    def backup(self, target: str | Path, *, overwrite: bool = False) -> CatalogFileInfo:
        """Copy the live catalog to ``target`` with SQLite's online backup (safe while serving). On PostgreSQL,
        ``target`` is a SQLite catalog file made from one consistent snapshot (``catalog/ops/pg_backup.py``)."""
        if is_url(self.path):
            from catalog.ops import pg_backup

            with self._connection() as conn:
                return pg_backup.backup(conn, target, overwrite=overwrite)
        return _backup.backup(self.path, target, overwrite=overwrite)

    def restore(self, source: str | Path) -> RestoreResult:
        """Replace the catalog with the checked backup ``source``; the current one is kept beside it."""
        if is_url(self.path):
            from catalog.ops import pg_backup

            with self._connection() as conn:
                return pg_backup.restore(conn, source)
        return _backup.restore(self.path, source)

    def check(self) -> list[str]:
        """Integrity, foreign keys, full-text indexes against their text, per-session counts: the problems. On
        PostgreSQL, the structural checks of ``catalog/ops/pg_check.py``."""
        if is_url(self.path):
            from catalog.ops import pg_check

            with self._connection() as conn:
                return pg_check.check_connection(conn)
        return _backup.check_file(self.path)

    def dump(
        self,
        data_dir: Path,
        out_dir: Path,
        *,
        media: bool = False,
        progress: Progress = None,
        files: FileStore | None = None,
    ) -> DumpCounts:
        """Write the whole archive (data folder ``data_dir``; its files in ``files``, default the data folder)
        as JSON Lines and files into ``out_dir``. ``progress(done, total)`` follows the segments written."""
        with self._connection() as conn:
            return dump_archive(conn, data_dir, out_dir, media=media, progress=progress, files=files)

    def load(
        self,
        data_dir: Path,
        in_dir: Path,
        *,
        merge: bool = False,
        progress: Progress = None,
        files: FileStore | None = None,
    ) -> DumpCounts:
        """Read a dump folder into the archive (its files into ``files``, default the data folder): all or
        nothing (``merge`` adds only new sources). ``progress(done, total)`` follows the segments read."""
        with self._connection() as conn:
            return load_archive(conn, data_dir, in_dir, merge=merge, progress=progress, files=files)

    def export_public(self, target: str | Path, *, base_url: str = "") -> ExportSummary:
        """Write the published part of the archive to the SQLite file ``target`` (replaced whole, atomically),
        for Datasette; moment links start with ``base_url`` (relative links when empty)."""
        return export_public(self.path, target, base_url=base_url)

    def compact(
        self,
        *,
        by: str,
        pages: int | None = None,
        pause: float | None = None,
        should_stop: Callable[[], bool] | None = None,
        lists: bool = False,
    ) -> Compaction:
        """Merge every full-text index into one b-tree (``catalog/ops/compact.py``), in short write transactions
        of ``pages`` pages that never block readers; recorded as done ``by``. On PostgreSQL, the GIN indexes'
        pending lists and ``ANALYZE``. ``lists``: also rebuild the impact lists if they are due (``lists_drift``),
        in one write transaction."""
        with self._database() as db:
            return _compact.compact(
                db,
                by=by,
                pages=pages or _compact.STEP_PAGES,
                pause=_compact.STEP_PAUSE if pause is None else pause,
                should_stop=should_stop,
                lists=lists,
            )

    def lists_drift(self) -> tuple[float, float] | None:
        """(the impact lists' reference segment length, the archive's mean) in tokens when they are more than
        ``impact.DRIFT`` apart (``compact(lists=True)`` rebuilds them then); ``None`` otherwise, and on
        PostgreSQL, which has no lists."""
        if is_url(self.path):
            return None
        from catalog.store import impact

        with self._database() as db:
            return impact.drift(db.conn)

    def compact_if_due(
        self, *, by: str, btrees: int | None = None, should_stop: Callable[[], bool] | None = None
    ) -> Compaction | None:
        """``compact`` the indexes that are ``btrees`` b-trees or more (default ``compact.DUE_BTREES``; 0: never),
        or nothing (``None``) when none is; never due on PostgreSQL. What the idle worker runs."""
        with self._database() as db:
            only = _compact.due(db.conn, _compact.DUE_BTREES if btrees is None else btrees)
            if not only:
                return None
            return _compact.compact(db, by=by, only=only, should_stop=should_stop)

    def index_shapes(self) -> list[IndexShape]:
        """Each full-text index as stored (its b-trees); empty on PostgreSQL."""
        with self._database() as db:
            return _compact.shapes(db.conn)

    def last_compaction(self) -> dict | None:
        """The last compaction recorded (when, by whom, how long, each index's b-trees before), or None."""
        with self._database() as db:
            return _compact.last_run(db.conn)

    def record_files(self, files: Iterable[tuple[str, int, str]]) -> None:
        """Note (path relative to the data folder, size, sha256) of files just placed, in one transaction."""
        with self._database() as db:
            DataFiles(db).record(files)

    def expected_files(self) -> list[ExpectedFile]:
        """Every file the catalog refers to, with its recorded size and sha256 where known (for ``check``)."""
        with self._database() as db:
            return DataFiles(db).expected_files()

    @contextmanager
    def _connection(self) -> Iterator:
        with self._database() as db:
            yield db.conn

    @contextmanager
    def _database(self) -> Iterator:
        if self._catalog is not None:
            yield self._catalog.db
            return
        from catalog.facade import Catalog

        catalog = Catalog.open(self.path)
        try:
            yield catalog.db
        finally:
            catalog.close()


def ops_for(path: str | Path) -> CatalogOps:
    """The operations on the catalog file at ``path`` (or the PostgreSQL catalog a URL names), without opening
    (or migrating) it first."""
    return CatalogOps(path)
