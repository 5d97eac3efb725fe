"""A media file uploaded through the staff area, streamed straight into the archive's file store (never whole in
memory, never on this machine's disk when the store is an object store).

``stage_media_upload`` copies the upload in chunks to the store's staging area, counting its size (refusing past
``max_bytes``) and hashing it on the way (an object store also checks each part's SHA-256); the result goes to
``ingest_caption_bytes(..., media=...)``, which places it under ``media/<session id>/`` with the session or
discards it if the session cannot be saved.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import BinaryIO

from archive import storage
from archive.errors import ArchiveError
from archive.saving import FetchedMedia
from catalog import FileStore, FileStoreError, TooLarge


def stage_media_upload(
    data_dir: Path,
    stream: BinaryIO,
    name: str,
    mime: str | None,
    max_bytes: int,
    files: FileStore | None = None,
) -> FetchedMedia:
    """Copy ``stream`` to a staging file called ``name`` (a safe file name) in ``files`` (default: the data
    folder); ArchiveError past ``max_bytes``."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}", name):
        raise ArchiveError(f"{name!r} is not a safe media file name")
    files = storage.files_for(data_dir, files)
    staged = storage.StagedFile(files, storage.staging_path(name), name)
    try:
        size, sha256 = files.put(staged.path, stream, max_bytes=max_bytes, mime=mime)
        storage.verify_staged(staged, (size, sha256), (size, sha256))
    except TooLarge as exc:
        _discard(staged)
        raise ArchiveError(f"the media file is larger than {max_bytes // 1024**2} MB") from exc
    except FileStoreError as exc:
        _discard(staged)
        raise ArchiveError(str(exc)) from exc
    except BaseException:
        _discard(staged)
        raise
    if size == 0:
        _discard(staged)
        raise ArchiveError("the media file is empty")
    return FetchedMedia(staged, size, sha256, mime)


def _discard(staged: storage.StagedFile) -> None:
    with contextlib.suppress(FileStoreError):
        staged.discard()


def staged_media_payload(media: FetchedMedia) -> dict:
    """What a job needs to place a staged upload from another process or machine (JSON-safe): the staged path in
    the shared store, its file name, size, sha256 and type."""
    if media.staged is None:
        raise ArchiveError("the media file is not staged")
    return {
        "path": media.staged.path,
        "name": media.staged.name,
        "size": media.size,
        "sha256": media.sha256,
        "mime": media.mime,
    }


def staged_media_from(files: FileStore, payload: dict) -> FetchedMedia:
    """The staged upload ``staged_media_payload`` described, in ``files`` (the store every node shares); it must
    still be there, under the staging area, with the size it was staged with."""
    path, name = str(payload.get("path") or ""), str(payload.get("name") or "")
    if not re.fullmatch(
        rf"{re.escape(storage.STAGING)}/[0-9a-f]{{32}}/[A-Za-z0-9][A-Za-z0-9._-]{{0,120}}", path
    ):
        raise ArchiveError(f"{path!r} is not a staged media file")
    if path.rsplit("/", 1)[-1] != name:
        raise ArchiveError(f"{name!r} is not the name of the staged file {path!r}")
    try:
        stored = files.stat(path)
    except FileStoreError as exc:
        raise ArchiveError(str(exc)) from exc
    if stored is None or stored.size != payload.get("size"):
        raise ArchiveError(f"the staged media file {path} is no longer in {files.description}")
    return FetchedMedia(
        storage.StagedFile(files, path, name), stored.size, str(payload["sha256"]), payload.get("mime")
    )
