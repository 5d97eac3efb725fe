"""The data folder's files beside the catalog: raw caption files and archived media.

Files are first written to a staging folder (``<data>/.incoming/``) so that every failure that can happen on
disk happens before the catalog changes; once the session is saved they are moved (one rename each) to
``captions/<session id>/<language>.<source>.<ext>`` and ``media/<session id>/<file>``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from archive.errors import ArchiveError
from catalog import DataFolder


@dataclass(frozen=True)
class StagedFile:
    """A file written to the staging folder, to be placed at ``data_dir / <relpath>`` once the session is saved."""

    staged: Path
    name: str  # the file name it gets in the session's folder

    def discard(self) -> None:
        self.staged.unlink(missing_ok=True)
        _remove_empty(self.staged.parent)


caption_relpath = DataFolder.caption_relpath
media_relpath = DataFolder.media_relpath
caption_name = DataFolder.caption_name


def staging_dir(data_dir: Path) -> Path:
    path = DataFolder(data_dir).staging / uuid.uuid4().hex
    try:
        path.mkdir(parents=True)
    except OSError as exc:
        raise ArchiveError(f"{data_dir}: cannot write to the data folder: {exc.strerror or exc}") from exc
    return path


def stage_bytes(data_dir: Path, data: bytes, name: str) -> StagedFile:
    """Write ``data`` to a new staging file; ``name`` is the file name it will get when placed."""
    folder = staging_dir(data_dir)
    path = folder / name
    try:
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        verify_staged(path, len(data), hashlib.sha256(data).hexdigest())
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise ArchiveError(f"{data_dir}: cannot write to the data folder: {exc.strerror or exc}") from exc
    except ArchiveError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return StagedFile(path, name)


def verify_staged(path: Path, size: int, sha256: str) -> None:
    """The staged file, read back, is exactly what was received (size and sha256), or ``ArchiveError``."""
    if file_digest(path) != (size, sha256):
        raise ArchiveError(f"{path.name}: the copy written to the data folder differs from what was received")


def place(data_dir: Path, staged: StagedFile, relpath: str) -> None:
    """Move a staged file to ``data_dir / relpath`` (replacing an older file of that name)."""
    target = DataFolder(data_dir).path(relpath)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged.staged, target)
    _remove_empty(staged.staged.parent)


def prune(data_dir: Path, folder_relpath: str, keep: set[str]) -> None:
    """Delete files in ``data_dir / folder_relpath`` whose relative path is not in ``keep``."""
    folder = DataFolder(data_dir).path(folder_relpath)
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and f"{folder_relpath}/{path.name}" not in keep:
            path.unlink()


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, sha256 hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _remove_empty(folder: Path) -> None:
    for candidate in (folder, folder.parent):
        if candidate.name and candidate.exists():
            try:
                candidate.rmdir()
            except OSError:
                return
