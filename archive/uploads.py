"""A media file uploaded through the staff area, streamed into the staging folder (never whole in memory).

``stage_media_upload`` copies the upload in chunks, counting its size (refusing past ``max_bytes``) and hashing it
on the way; the result goes to ``ingest_caption_bytes(..., media=...)``, which places it under
``media/<session id>/`` with the session or discards it if the session cannot be saved.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path
from typing import BinaryIO

from archive import storage
from archive.errors import ArchiveError
from archive.saving import FetchedMedia

CHUNK = 1 << 20


def stage_media_upload(
    data_dir: Path, stream: BinaryIO, name: str, mime: str | None, max_bytes: int
) -> FetchedMedia:
    """Copy ``stream`` to a staging file called ``name`` (a safe file name); ArchiveError past ``max_bytes``."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}", name):
        raise ArchiveError(f"{name!r} is not a safe media file name")
    folder = storage.staging_dir(data_dir)
    path = folder / name
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "wb") as target:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ArchiveError(f"the media file is larger than {max_bytes // 1024**2} MB")
                digest.update(chunk)
                target.write(chunk)
            target.flush()
            os.fsync(target.fileno())
        storage.verify_staged(path, size, digest.hexdigest())
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise ArchiveError(f"{data_dir}: cannot write to the data folder: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise ArchiveError("the media file is empty")
    return FetchedMedia(storage.StagedFile(path, name), size, digest.hexdigest(), mime)
