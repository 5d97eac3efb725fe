"""A local audio or video file with no captions becomes a session whose media is archived (to transcribe later:
``uscm-archive transcribe`` or ``ingest --transcribe``)."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from pathlib import Path

from archive.credits import split_credit
from archive.errors import ArchiveError
from archive.files import title_from_name
from archive.options import IngestOptions
from archive.saving import FetchedSession
from archive.uploads import stage_media_upload
from catalog import SessionMeta

MEDIA_SUFFIXES = frozenset(
    {".wav", ".mp3", ".m4a", ".ogg", ".opus", ".flac", ".mp4", ".webm", ".mkv", ".mov"}
)
MAX_MEDIA_BYTES = 20 * 1024**3


def is_media_file(path: Path) -> bool:
    return Path(path).suffix.lower() in MEDIA_SUFFIXES


def read_media_file(path: Path, data_dir: Path, options: IngestOptions) -> FetchedSession:
    """The session for the media file at ``path``, its copy staged in the data folder."""
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"{path}: no such file")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", path.name).lstrip(".-_") or f"media{path.suffix}"
    with path.open("rb") as handle:
        media = stage_media_upload(
            data_dir,
            handle,
            safe[:120],
            mimetypes.guess_type(path.name)[0],
            MAX_MEDIA_BYTES,
            options.files,
        )
    title, name_date = title_from_name(re.sub(r"\.\w+$", "", path.name))
    meta = SessionMeta(
        title=options.title or title,
        date=options.date or name_date,
        event=options.event,
        description=options.description,
        video_url=options.video_url,
        language=(options.languages or ("en",))[0],
        speakers=tuple(c for c in map(split_credit, options.speakers) if c),
        topics=tuple(t.strip() for t in options.topics if t.strip()),
        status="draft" if options.draft else "published",
        extra={"file_name": path.name},
    )
    return FetchedSession(source_key=f"file:sha256:{digest.hexdigest()}", meta=meta, media=media)
