"""The files beside the catalog: raw caption files and archived media, in the archive's file store
(``catalog.FileStore``: the data folder by default, or an object store with ``--media-store s3://…``).

Files are first written to the store's staging area (``.incoming/<random>/<name>``) so that every failure that can
happen while writing happens before the catalog changes; once the session is saved they are moved (a rename on
disk, a server-side copy in an object store) to ``captions/<session id>/<language>.<source>.<ext>`` and
``media/<session id>/<file>``. A staged file is in the shared store, so any worker can place it.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from archive.errors import ArchiveError
from catalog import DataFolder, FileStore, FileStoreError, LocalFiles

STAGING = ".incoming"


@dataclass(frozen=True)
class StagedFile:
    """A file in the store's staging area, to be placed at ``<relpath>`` once the session is saved."""

    files: FileStore
    path: str  # its path in the store while staged: .incoming/<random>/<name>
    name: str  # the file name it gets in the session's folder

    def discard(self) -> None:
        self.files.delete(self.path)


caption_relpath = DataFolder.caption_relpath
media_relpath = DataFolder.media_relpath
caption_name = DataFolder.caption_name


def files_for(data_dir: Path, files: FileStore | None = None) -> FileStore:
    """The given store, or the data folder's own."""
    return files if files is not None else LocalFiles(DataFolder(data_dir))


def staging_path(name: str) -> str:
    return f"{STAGING}/{uuid.uuid4().hex}/{name}"


def staging_dir(data_dir: Path) -> Path:
    """A new local folder in the data folder's staging area (for downloads that need a disk, e.g. yt-dlp's)."""
    path = DataFolder(data_dir).staging / uuid.uuid4().hex
    try:
        path.mkdir(parents=True)
    except OSError as exc:
        raise ArchiveError(f"{data_dir}: cannot write to the data folder: {exc.strerror or exc}") from exc
    return path


def stage_bytes(files: FileStore, data: bytes, name: str) -> StagedFile:
    """Write ``data`` to a new staging file; ``name`` is the file name it will get when placed."""
    staged = StagedFile(files, staging_path(name), name)
    try:
        received = files.put_bytes(staged.path, data)
        verify_staged(staged, received, (len(data), hashlib.sha256(data).hexdigest()))
    except FileStoreError as exc:
        _forget(staged)
        raise ArchiveError(str(exc)) from exc
    except BaseException:
        _forget(staged)
        raise
    return staged


def stage_local_file(files: FileStore, path: Path, size: int, sha256: str) -> StagedFile:
    """A file downloaded into a local staging folder (``staging_dir``), staged in ``files``: moved there when the
    store is this data folder, else uploaded and the local copy removed."""
    if isinstance(files, LocalFiles) and path.is_relative_to(files.folder.root):
        return StagedFile(files, path.relative_to(files.folder.root).as_posix(), path.name)
    staged = StagedFile(files, staging_path(path.name), path.name)
    try:
        with open(path, "rb") as handle:
            received = files.put(staged.path, handle)
        verify_staged(staged, received, (size, sha256))
    except FileStoreError as exc:
        _forget(staged)
        raise ArchiveError(str(exc)) from exc
    except BaseException:
        _forget(staged)
        raise
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    return staged


def verify_staged(staged: StagedFile, received: tuple[int, str], wanted: tuple[int, str]) -> None:
    """The staged file is exactly what was received (size and sha256), or ``ArchiveError``. On disk it is read
    back; an object store checked the SHA-256 of every part it was sent (``archive/object_store.py``)."""
    stored = received
    if staged.files.local_path(staged.path) is not None:
        stored = staged.files.digest(staged.path)
    if received != wanted or stored != wanted:
        raise ArchiveError(
            f"{staged.name}: the copy written to the archive's files differs from what was received"
        )


def place(staged: StagedFile, relpath: str) -> None:
    """Give a staged file its place ``relpath`` (replacing an older file of that name)."""
    staged.files.move(staged.path, relpath)


def prune(files: FileStore, folder_relpath: str, keep: set[str]) -> None:
    """Delete files in ``folder_relpath`` whose relative path is not in ``keep``."""
    for stored in files.list(folder_relpath):
        if stored.path not in keep:
            files.delete(stored.path)


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, sha256 hex) of a local file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _forget(staged: StagedFile) -> None:
    with contextlib.suppress(FileStoreError):  # the first error is the one to report
        staged.discard()
