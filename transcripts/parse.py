"""Caption files in, ``Transcript`` out: decode, read cues, tell the kind of track, clean, merge into segments.

Errors: a ``TranscriptError`` naming the file (and the line where there is one) for an empty, binary or
unreadable file, a bad timing line, or a file with no caption text; ``NotCaptionsError`` for a thumbnail or
metadata track. Cues that end before they start or lie beyond 24 hours are dropped with a warning.
"""

from __future__ import annotations

import re
from pathlib import Path

from transcripts.caps import check_cue_count, check_segment_count, parse_slot
from transcripts.cues import Cue, usable
from transcripts.decode import decode_caption_bytes
from transcripts.errors import TranscriptError
from transcripts.formats import CAPTION_NAMES, NOT_CAPTIONS, formats_of_text
from transcripts.markup import strip_markup
from transcripts.models import Transcript
from transcripts.rolling import is_rolling, rolling_pieces
from transcripts.segments import Piece, build_segments
from transcripts.speakers import cue_pieces
from transcripts.timeline import one_timeline
from transcripts.tracks import chapters_of, header_kind, header_language, refuse_non_speech

# "talk.en.vtt", "talk.en-US.srt", "film.ar-rtl.vtt" (ar): a two-letter code, a region kept only when it is one.
_NAME_LANGUAGE = re.compile(
    r"\.([a-z]{2})(?:[-_]([A-Z]{2}\b|[A-Za-z0-9]{2,8}))?\.(?:" + "|".join(CAPTION_NAMES) + ")$", re.IGNORECASE
)
# The largest caption file read: about 36 hours of YouTube automatic captions (the 55-minute corpus file is
# 515 KB). Bigger input is refused before it is read, so memory and time stay bounded.
MAX_CAPTION_BYTES = 20 * 1024 * 1024


def check_caption_size(size: int, name: str) -> None:
    """Refuse ``size`` bytes of captions above ``MAX_CAPTION_BYTES``, naming the file and the limit."""
    if size > MAX_CAPTION_BYTES:
        raise TranscriptError(
            f"the file is {size / 2**20:.1f} MB; caption files are limited to {MAX_CAPTION_BYTES // 2**20} MB",
            source=name,
        )


def parse_file(path: str | Path, language: str | None = None) -> Transcript:
    """Read a WebVTT or SRT file (the format is told by content, not by name) into a ``Transcript``."""
    path = Path(path)
    try:
        check_caption_size(path.stat().st_size, str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read the file ({exc.strerror or exc})", source=str(path)) from exc
    return parse_bytes(data, path.name, language)


def parse_bytes(data: bytes, name: str, language: str | None = None) -> Transcript:
    """Read caption bytes; ``name`` is used in messages (and as a last hint for the language)."""
    check_caption_size(len(data), name)
    warnings: list[str] = []
    with parse_slot(len(data), name, warnings):
        try:
            return _parse(data, name, language, warnings)
        finally:  # (what one file's lines were stripped to is of no use to the next)
            strip_markup.cache_clear()


def _parse(data: bytes, name: str, language: str | None, warnings: list[str]) -> Transcript:
    text, decode_warnings = decode_caption_bytes(bytes(data), name)
    warnings.extend(decode_warnings)
    check_cue_count(text, name)
    fmt, all_cues, header = _read_cues(text, name, warnings)
    spoken = [cue for cue in all_cues if cue.end != cue.start and cue.text.strip()]
    cues = [cue for cue in one_timeline(spoken, name, warnings) if usable(cue, name, warnings)]
    language = language or header_language(header) or _language_from_name(name)
    kind = header_kind(header)
    refuse_non_speech(cues, kind, name)
    chapters = chapters_of(cues, kind) if cues else None
    if chapters:
        return Transcript((), chapters, language, "chapters", fmt, tuple(warnings))
    segments = build_segments(_pieces(cues))
    check_segment_count(len(segments), name)
    if not segments:
        dropped = [w.removeprefix(f"{name}, ") for w in warnings if "; dropped" in w]
        why = f" or was dropped ({dropped[0]})" if dropped else ""
        raise TranscriptError(f"no caption text: every cue is empty{why}", source=name)
    return Transcript(segments, (), language, "captions", fmt, tuple(warnings))


def _read_cues(text: str, name: str, warnings: list[str]) -> tuple[str, tuple[Cue, ...], tuple[str, ...]]:
    for fmt in formats_of_text(text):
        read = fmt.read(text, name, warnings)
        if read is not None:
            cues, header = read
            return fmt.name, cues, header
    raise TranscriptError(f"no cues found: {NOT_CAPTIONS}", source=name)


def _language_from_name(name: str) -> str | None:
    match = _NAME_LANGUAGE.search(name)
    if not match:
        return None
    region = match.group(2)
    language = match.group(1).lower()
    return f"{language}-{region.upper()}" if region and re.fullmatch(r"[A-Za-z]{2}", region) else language


def _pieces(cues: list[Cue]) -> list[Piece]:
    return rolling_pieces(cues) if is_rolling(cues) else cue_pieces(cues)
