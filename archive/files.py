"""Local caption files (and uploaded bytes) into sessions.

A caption file becomes one session. Its source key is ``file:sha256:<hex of the file's bytes>``: the same file
again, from any folder or uploaded through the staff area, updates the same session. A chapters track given
with exactly one caption file becomes that session's chapters. Every file is read and parsed before anything
is written, so one bad file leaves the archive as it was.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from archive.checks import check_language
from archive.credits import split_credit
from archive.errors import ArchiveError
from archive.options import IngestOptions
from archive.saving import FetchedSession, FetchedTrack
from catalog import SessionMeta
from transcripts import CAPTION_EXTENSIONS, MAX_CAPTION_BYTES, Transcript, parse_bytes

_LANGUAGE_SUFFIX = re.compile(r"\.([a-z]{2,3})(?:-([A-Za-z0-9]{2,8}))?$")
_REGION = re.compile(r"^([A-Za-z]{2}|\d{3}|[A-Za-z]{4})$")  # en-US, es-419, zh-Hant; not "ar-rtl"
_CAPTION_EXTENSION = re.compile("(?:" + "|".join(map(re.escape, (*CAPTION_EXTENSIONS, ".txt"))) + ")$", re.I)
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")


@dataclass(frozen=True)
class CaptionFile:
    name: str  # as given (a path or an upload's file name): used in messages
    data: bytes
    transcript: Transcript

    @property
    def is_chapters(self) -> bool:
        return self.transcript.kind == "chapters"


def read_caption_file(path: Path, options: IngestOptions) -> CaptionFile:
    """Read and parse one file; a missing, unreadable or malformed file raises naming the file."""
    path = Path(path)
    if not path.exists():
        raise ArchiveError(f"{path}: no such file")
    if not path.is_file():
        raise ArchiveError(f"{path}: not a file")
    try:
        size = path.stat().st_size
        if size > MAX_CAPTION_BYTES:  # refused before reading it: memory stays bounded
            raise ArchiveError(
                f"{path}: the file is {size / 2**20:.1f} MB; caption files are limited to "
                f"{MAX_CAPTION_BYTES // 2**20} MB"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
    return parse_caption_bytes(data, str(path), options)


def parse_caption_bytes(data: bytes, name: str, options: IngestOptions) -> CaptionFile:
    if not data.strip():
        raise ArchiveError(f"{name}: the file is empty")
    transcript = parse_bytes(data, name, language=options.languages[0] if options.languages else None)
    if transcript.kind != "chapters" and not transcript.segments:
        raise ArchiveError(f"{name}: no captions found in the file")
    return CaptionFile(name, data, transcript)


def sessions_from_files(files: list[CaptionFile], options: IngestOptions) -> list[FetchedSession]:
    """Pair caption files with at most one chapters track and turn each caption file into a session."""
    captions = [f for f in files if not f.is_chapters]
    chapters = [f for f in files if f.is_chapters]
    if chapters and not captions:
        raise ArchiveError(
            f"{chapters[0].name}: this is a chapters track, not captions; "
            "give it together with the caption file of its session"
        )
    if len(chapters) > 1:
        raise ArchiveError(f"{chapters[1].name}: only one chapters track can be given at a time")
    if chapters and len(captions) > 1:
        raise ArchiveError(
            f"{chapters[0].name}: a chapters track can go with one caption file, but {len(captions)} were given"
        )
    chapter_list = chapters[0].transcript.chapters if chapters else ()
    return [session_from_caption(f, options, chapter_list) for f in captions]


def session_from_caption(file: CaptionFile, options: IngestOptions, chapters=()) -> FetchedSession:
    transcript = file.transcript
    language = check_language(_language(file, options))
    title, name_date = title_from_name(file.name)
    meta = SessionMeta(
        title=options.title or title,
        date=options.date or name_date,
        event=options.event,
        description=options.description,
        video_url=options.video_url,
        duration=transcript.duration or None,
        language=language,
        speakers=tuple(c for c in map(split_credit, options.speakers) if c),
        topics=tuple(t.strip() for t in options.topics if t.strip()),
        status="draft" if options.draft else "published",
        extra={"file_name": Path(file.name).name},
    )
    track = FetchedTrack(transcript, language, "upload", transcript.format, raw=file.data)
    return FetchedSession(
        source_key=file_source_key(file.data),
        meta=meta,
        tracks=(track,),
        chapters=tuple(chapters),
        warnings=tuple(transcript.warnings),
    )


def file_source_key(data: bytes) -> str:
    return "file:sha256:" + hashlib.sha256(data).hexdigest()


def title_from_name(name: str) -> tuple[str, str | None]:
    """A readable title, and the date if the file name holds one: ``oakland-council-2022-08-09.en.vtt`` ->
    ("Oakland council 2022-08-09", "2022-08-09")."""
    stem = Path(name).name
    stem = _CAPTION_EXTENSION.sub("", stem)
    stem = _LANGUAGE_SUFFIX.sub("", stem)
    found = _DATE_IN_NAME.search(stem)
    words = re.sub(r"[_\s]+|(?<!\d)-|-(?!\d)", " ", stem).split()
    title = " ".join(words) or "Untitled session"
    return title[:1].upper() + title[1:], found.group(1) if found else None


def _language(file: CaptionFile, options: IngestOptions) -> str:
    if options.languages:
        return options.languages[0]
    if file.transcript.language:
        return file.transcript.language
    stem = _CAPTION_EXTENSION.sub("", Path(file.name).name)
    suffix = _LANGUAGE_SUFFIX.search(stem)
    if not suffix:
        return "en"
    region = suffix.group(2)
    return f"{suffix.group(1)}-{region}" if region and _REGION.match(region) else suffix.group(1)
