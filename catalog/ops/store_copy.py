"""Copying a dump's files out of the archive's file store and back in (``dump``, ``load``), whatever the store.

Out: every file under an area (``captions``, ``media``) is fetched to the dump folder whole or not at all (a
temporary name, renamed). In: each file is written to the store under its relative path and the (size, sha256)
the store received is compared with the source's; a file already there is kept when it is byte for byte the
source and refused otherwise (the load names it). Written paths are listed so that a failed load removes them.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from catalog.errors import CatalogError
from catalog.files import FileStore, FileStoreError
from catalog.ops.file_copy import file_digest


def copy_out(files: FileStore, area: str, out_dir: Path) -> int:
    """Fetch every file under ``area`` of ``files`` into ``out_dir/<its path>``; how many."""
    count = 0
    for stored in files.list(area):
        files.fetch(stored.path, out_dir / stored.path)
        count += 1
    return count


def copy_in(source: Path, files: FileStore, area: str, created: list[str], placed: list | None = None) -> int:
    """Put every file under the local folder ``source`` into ``files`` as ``<area>/<relative path>``; how many
    were written. Each file's (path, size, sha256) goes to ``placed``, each written path to ``created``."""
    if not source.is_dir():
        return 0
    count = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.name.endswith(".partial"):
            continue
        relpath = f"{area}/{path.relative_to(source).as_posix()}"
        written, size, sha256 = put_verified(files, path, relpath, created)
        count += written
        if placed is not None:
            placed.append((relpath, size, sha256))
    return count


def put_verified(
    files: FileStore, source: Path, relpath: str, created: list[str], *, replace: bool = False
) -> tuple[bool, int, str]:
    """Write the local file ``source`` to ``relpath`` unless an identical file is there; (written, size, sha256).
    An existing different file is a ``CatalogError`` (unless ``replace``)."""
    try:
        wanted = file_digest(source)
        if not replace and files.exists(relpath):
            if files.digest(relpath) == wanted:
                return False, *wanted
            where = files.local_path(relpath) or f"{relpath} in {files.description}"
            raise CatalogError(
                f"{where}: already exists and differs from {source}; move it away, then load again"
            )
        with open(source, "rb") as handle:
            received = files.put(relpath, handle)
        created.append(relpath)
        if received != wanted:
            raise CatalogError(f"{relpath}: the copy written to {files.description} differs from {source}")
    except OSError as exc:
        raise CatalogError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    except FileStoreError as exc:
        raise CatalogError(str(exc)) from exc
    return True, *wanted


def remove_created(files: FileStore, created: list[str]) -> None:
    for relpath in created:
        with contextlib.suppress(FileStoreError):  # the load's own error is the one to report
            files.delete(relpath)
