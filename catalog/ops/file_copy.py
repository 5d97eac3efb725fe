"""Copying a file into the data folder so that it is whole or absent: a temporary name, a check, a rename.

The copy is written to ``.<name>.partial`` beside its destination, flushed to disk, read back and compared
(size and sha256) with the source, and only then renamed into place. A kill at any point leaves either no file
or the whole file under its name (plus, at worst, a ``.partial`` that the next copy overwrites and the start-up
sweep removes). An existing destination is accepted only when it is byte for byte the source.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from catalog.errors import CatalogError

CHUNK = 1 << 20


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, sha256 hex) of the file at ``path``, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def verified_copy(source: Path, destination: Path) -> tuple[bool, int, str]:
    """Copy ``source`` to ``destination`` (see the module doc); (whether it was written, size, sha256)."""
    try:
        if destination.exists():
            wanted = file_digest(source)
            if destination.is_file() and file_digest(destination) == wanted:
                return False, *wanted
            raise CatalogError(
                f"{destination}: already exists and differs from {source}; move it away, then load again"
            )
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(f".{destination.name}.partial")
        try:
            wanted = _copy(source, partial)
            if file_digest(partial) != wanted:
                raise CatalogError(f"{destination}: the copy read back differs from {source}")
            os.replace(partial, destination)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CatalogError(f"{destination}: cannot copy {source}: {exc.strerror or exc}") from exc
    return True, *wanted


def _copy(source: Path, target: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return size, digest.hexdigest()
