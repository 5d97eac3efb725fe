"""The caption-format registry: every format the archive reads and writes, in one table.

A caption format is a reader module (``vtt.py``, ``srt.py``) plus one ``CaptionFormat`` entry here: its name (the
stored format and the file extension), the names it is read from, its media type, how its content is told
(``sniff`` on the start of a file, ``claims`` on a whole decoded file) and how it is read and written. A reader
may give ``None`` for a file its format claimed by look but cannot read (WebVTT without its header that webvtt-py
refuses): the next format claiming the file reads it.
``archive/`` (which files and yt-dlp tracks to take) and ``web/`` (uploads, downloads, raw files) ask this table;
nothing else spells a format out. ``EXPORT_FORMATS`` adds the transcript exports that are not captions.

The caption writers are subtitle-grade (``transcripts.subtitles``: short cues of at most two lines, timed from the
segments' marks), so the player's track, the VTT/SRT downloads and ``uscm-archive export`` write the same cues;
``to_vtt``/``to_srt`` (one cue per segment) stay in the public API for callers that want paragraph cues.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from transcripts.cues import Cue, is_timing_like
from transcripts.errors import TranscriptError
from transcripts.export import to_json, to_txt
from transcripts.headerless import is_headerless_vtt, read_headerless_vtt, starts_like_headerless_vtt
from transcripts.srt import read_srt
from transcripts.subtitles import subtitles_srt, subtitles_vtt
from transcripts.vtt import read_vtt

# (text, name, warnings) -> (cues, header), or None: claimed by look but not readable as this format
Reader = Callable[[str, str, list[str]], tuple[tuple[Cue, ...], tuple[str, ...]] | None]
Writer = Callable[..., str]  # (segments, *, title=None, meta=None) -> text

_SRT_START = re.compile(r"^\s*(\d+\s*\r?\n)?\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_BOMS = ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"\xef\xbb\xbf", "utf-8"))
SNIFF_BYTES = 4096


@dataclass(frozen=True)
class ExportFormat:
    name: str  # "vtt": also the file extension of a download
    label: str  # "WebVTT captions"
    media_type: str
    write: Writer


@dataclass(frozen=True)
class CaptionFormat(ExportFormat):
    extensions: tuple[str, ...] = ()  # file names it is read from (lower case, with the dot)
    sniff: Callable[[str], bool] = lambda text: False  # the decoded start of a file looks like this format
    claims: Callable[[str], bool] = lambda text: False  # a whole decoded file is to be read as this format
    read: Reader | None = None


def _vtt_body(text: str) -> str:
    return text.lstrip(" \t\n")


def _is_vtt(text: str) -> bool:
    return _vtt_body(text).startswith("WEBVTT") or is_headerless_vtt(text)


def _read_vtt(text: str, name: str, warnings: list[str]) -> tuple[tuple[Cue, ...], tuple[str, ...]] | None:
    body = _vtt_body(text)
    if not body.startswith("WEBVTT"):
        headerless = read_headerless_vtt(text, name, warnings)
        return None if headerless is None else (headerless.cues, headerless.header)
    skipped = text[: len(text) - len(body)].count("\n")  # blank lines before the header, for line numbers
    vtt = read_vtt(body, name, warnings, skipped)
    if not vtt.cues:
        raise TranscriptError("no cues: the WebVTT file has a header but no cue timing lines", source=name)
    return vtt.cues, vtt.header


def _read_srt(text: str, name: str, warnings: list[str]) -> tuple[tuple[Cue, ...], tuple[str, ...]]:
    return read_srt(text, name, warnings), ()


def _write_vtt(segments: Sequence[Any], *, title: str | None = None, meta: dict | None = None) -> str:
    return subtitles_vtt(segments, title=title)


def _write_srt(segments: Sequence[Any], *, title: str | None = None, meta: dict | None = None) -> str:
    return subtitles_srt(segments)


def _write_txt(segments: Sequence[Any], *, title: str | None = None, meta: dict | None = None) -> str:
    return to_txt(segments, title=title)


def _write_json(segments: Sequence[Any], *, title: str | None = None, meta: dict | None = None) -> str:
    return to_json(segments, meta=meta)


VTT = CaptionFormat(
    "vtt",
    "WebVTT captions",
    "text/vtt; charset=utf-8",
    _write_vtt,
    extensions=(".vtt", ".webvtt"),
    sniff=lambda text: text.startswith("WEBVTT") or starts_like_headerless_vtt(text),
    claims=_is_vtt,
    read=_read_vtt,
)
SRT = CaptionFormat(
    "srt",
    "SubRip captions",
    "application/x-subrip; charset=utf-8",
    _write_srt,
    extensions=(".srt",),
    sniff=lambda text: bool(_SRT_START.match(text)),
    claims=lambda text: any(is_timing_like(line) for line in text.split("\n")),
    read=_read_srt,
)
CAPTION_FORMATS: tuple[CaptionFormat, ...] = (VTT, SRT)  # best first (yt-dlp tracks are chosen in this order)
EXPORT_FORMATS: tuple[ExportFormat, ...] = (
    *CAPTION_FORMATS,
    ExportFormat("txt", "Plain text", "text/plain; charset=utf-8", _write_txt),
    ExportFormat("json", "JSON", "application/json", _write_json),
)
CAPTION_NAMES = tuple(f.name for f in CAPTION_FORMATS)
CAPTION_EXTENSIONS = tuple(ext for f in CAPTION_FORMATS for ext in f.extensions)
NOT_CAPTIONS = "this is not a WebVTT or SRT caption file (no 'WEBVTT' header, no '00:00:01,000 --> 00:00:02,000' timing lines)"


def caption_format(name: str) -> CaptionFormat:
    """The caption format called ``name`` (``"vtt"``); ``KeyError`` for any other."""
    for fmt in CAPTION_FORMATS:
        if fmt.name == name:
            return fmt
    raise KeyError(name)


def export_format(name: str) -> ExportFormat:
    """The export called ``name`` (``"vtt"``, ``"srt"``, ``"txt"``, ``"json"``); ``KeyError`` for any other."""
    for fmt in EXPORT_FORMATS:
        if fmt.name == name:
            return fmt
    raise KeyError(name)


def format_of_name(file_name: str) -> CaptionFormat | None:
    """The caption format a file name's extension says (``talk.en.VTT`` → VTT), or ``None``."""
    lower = file_name.lower()
    return next((f for f in CAPTION_FORMATS if lower.endswith(f.extensions)), None)


def formats_of_text(text: str) -> Iterator[CaptionFormat]:
    """The formats that claim a whole decoded caption file, best first, each asked only when the one before it
    could not read the file (the content decides, not the name)."""
    return (f for f in CAPTION_FORMATS if f.read is not None and f.claims(text))


def sniff_format(data: bytes) -> str | None:
    """The name of the caption format the bytes start like (any BOM, UTF-8 or UTF-16), else ``None``."""
    head, encoding = data[:SNIFF_BYTES], "utf-8"
    for bom, codec in _BOMS:
        if head.startswith(bom):
            head, encoding = head[len(bom) :], codec
            break
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    return next((f.name for f in CAPTION_FORMATS if f.sniff(text)), None)
