"""Where a session's files live: the data folder (``LocalFiles``, the default) or an object store, behind one
interface, ``FileStore``.

A store is addressed by the catalog's relative paths (``captions/3/en.manual.vtt``, ``media/3/talk.mp4``,
``.incoming/<random>/<name>`` while staged); ``LocalFiles`` keeps them under the data folder, and
``archive/object_store.py`` (``S3Files``, ``--media-store s3://bucket/prefix``) as object keys under the prefix.
Every write is whole or absent and returns the (size, sha256) the store received; every failure is a
``FileStoreError`` naming the file and the store.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from catalog.errors import CatalogError
from catalog.folder import FILE_AREAS, STAGING, DataFolder

CHUNK = 1 << 20


class FileStoreError(CatalogError):
    """A file store could not be read or written (missing object, refused credentials, unreachable server)."""


class FileMissing(FileStoreError):
    """No file at that path in the store."""


class TooLarge(FileStoreError):
    """A stream written to a store went past its ``max_bytes``."""


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative, as the catalog stores it
    size: int
    sha256: str | None = None  # as recorded with the object when it was written (None: not recorded)
    modified: float | None = None  # when it was written (seconds since the epoch), where a listing says


def check_relpath(path: str) -> str:
    """``path`` if it is a clean relative path (no ``..``, no absolute part, no empty part), else an error."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or any(p in ("..", ".", "") for p in parts) or "\\" in path:
        raise FileStoreError(f"{path!r} is not a path inside the archive's files")
    return path


class FileStore(ABC):
    """The files beside the catalog. ``description`` names the store in messages (the data folder, or
    ``s3://bucket/prefix``)."""

    description: str

    @abstractmethod
    def put(
        self, path: str, stream: BinaryIO, *, max_bytes: int | None = None, mime: str | None = None
    ) -> tuple[int, str]:
        """Write ``stream`` to ``path`` (replacing it); (size, sha256) of what was stored. ``TooLarge`` past
        ``max_bytes`` (nothing is left behind)."""

    @abstractmethod
    def move(self, source: str, target: str) -> None:
        """Give the file at ``source`` the path ``target`` (replacing it); ``source`` is gone afterwards."""

    @abstractmethod
    def delete(self, path: str) -> None:
        """Remove the file at ``path`` (nothing if there is none)."""

    @abstractmethod
    def stat(self, path: str) -> StoredFile | None:
        """The file at ``path`` (its size, and its sha256 when the store recorded one), or ``None``."""

    @abstractmethod
    def chunks(self, path: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``start``..``end`` (inclusive; ``None``: to the end) of the file at ``path``."""

    @abstractmethod
    def list(self, folder: str) -> list[StoredFile]:
        """Every file under ``folder`` (``captions``, ``media/3``), by path."""

    def local_path(self, path: str) -> Path | None:
        """The file on this machine's disk, when the store is a folder here (``None`` for an object store)."""
        return None

    def reachable(self) -> str | None:
        """``None`` when the store answers, else why not (``/healthz``, ``serve`` at start)."""
        return None

    # -- built on the above ---------------------------------------------------------------------------------
    def put_bytes(self, path: str, data: bytes, *, mime: str | None = None) -> tuple[int, str]:
        import io

        return self.put(path, io.BytesIO(data), mime=mime)

    def read_bytes(self, path: str) -> bytes:
        return b"".join(self.chunks(path))

    def digest(self, path: str) -> tuple[int, str]:
        """(size, sha256) of the file's bytes as stored now, read whole."""
        digest, size = hashlib.sha256(), 0
        for chunk in self.chunks(path):
            digest.update(chunk)
            size += len(chunk)
        return size, digest.hexdigest()

    def exists(self, path: str) -> bool:
        return self.stat(path) is not None

    def fetch(self, path: str, target: Path) -> tuple[int, str]:
        """Copy the file at ``path`` to the local file ``target`` (whole or absent); its (size, sha256)."""
        partial = target.with_name(f".{target.name}.partial")
        digest, size = hashlib.sha256(), 0
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as handle:
                for chunk in self.chunks(path):
                    digest.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
        except OSError as exc:
            raise FileStoreError(f"{target}: cannot write a copy of {path}: {exc.strerror or exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
        return size, digest.hexdigest()


class HashingReader:
    """A binary stream that counts and hashes what is read through it, refusing past ``max_bytes``."""

    def __init__(self, stream: BinaryIO, max_bytes: int | None = None):
        self.stream, self.max_bytes = stream, max_bytes
        self.size, self.hash = 0, hashlib.sha256()

    def read(self, amount: int = -1) -> bytes:
        chunk = self.stream.read(amount if amount is not None and amount >= 0 else CHUNK)
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise TooLarge(f"the file is larger than {self.max_bytes // 1024**2} MB")
        self.hash.update(chunk)
        return chunk

    @property
    def sha256(self) -> str:
        return self.hash.hexdigest()


class LocalFiles(FileStore):
    """The files in the data folder itself (``captions/``, ``media/``, ``.incoming/``)."""

    def __init__(self, folder: DataFolder | Path):
        self.folder = folder if isinstance(folder, DataFolder) else DataFolder(folder)
        self.description = f"the data folder {self.folder.root}"

    def _path(self, path: str) -> Path:
        return self.folder.path(check_relpath(path))

    def local_path(self, path: str) -> Path | None:
        target = self._path(path)
        return target if target.is_file() else None

    def put(
        self, path: str, stream: BinaryIO, *, max_bytes: int | None = None, mime: str | None = None
    ) -> tuple[int, str]:
        target = self._path(path)
        partial = target.with_name(f".{target.name}.partial")
        reader = HashingReader(stream, max_bytes)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as handle:
                while chunk := reader.read(CHUNK):
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
        except OSError as exc:
            raise FileStoreError(
                f"{self.folder.root}: cannot write to the data folder: {exc.strerror or exc}"
            ) from exc
        finally:
            partial.unlink(missing_ok=True)
        return reader.size, reader.sha256

    def move(self, source: str, target: str) -> None:
        origin, destination = self._path(source), self._path(target)
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(origin, destination)
        except OSError as exc:
            raise FileStoreError(f"cannot move {source} to {target}: {exc.strerror or exc}") from exc
        _remove_empty(origin.parent, self.folder.root)

    def delete(self, path: str) -> None:
        target = self._path(path)
        target.unlink(missing_ok=True)
        _remove_empty(target.parent, self.folder.root)

    def stat(self, path: str) -> StoredFile | None:
        target = self._path(path)
        return StoredFile(path, target.stat().st_size) if target.is_file() else None

    def chunks(self, path: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        target = self._path(path)
        try:
            handle = open(target, "rb")  # noqa: SIM115 - closed below, the generator may be abandoned
        except FileNotFoundError as exc:
            raise FileMissing(f"{path}: not in {self.description}") from exc
        except OSError as exc:
            raise FileStoreError(f"{path}: cannot read it in {self.description}: {exc.strerror}") from exc
        with handle:
            handle.seek(start)
            left = None if end is None else end - start + 1
            while left is None or left > 0:
                chunk = handle.read(CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    def list(self, folder: str) -> list[StoredFile]:
        root = self._path(folder)
        if not root.is_dir():
            return []
        return [
            StoredFile(p.relative_to(self.folder.root).as_posix(), p.stat().st_size)
            for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink() and not p.name.endswith(".partial")
        ]

    def clear_staging(self) -> None:
        shutil.rmtree(self.folder.root / STAGING, ignore_errors=True)


def _remove_empty(folder: Path, root: Path) -> None:
    """Remove ``folder`` and its parents while they are empty, up to (not including) ``root``'s areas
    (``captions/``, ``media/``; an empty ``.incoming/`` goes too)."""
    while folder != root and folder.is_relative_to(root):
        if folder.parent == root and folder.name in FILE_AREAS:
            return
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
