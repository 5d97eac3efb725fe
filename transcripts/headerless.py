"""WebVTT that lost its ``WEBVTT`` header (YouTube captions saved by other tools, files cut out of a bigger one).

Such a file is told from SRT by its content: no timing line writes ``,`` before the milliseconds, and it shows
something only WebVTT has (cue settings such as ``align:start``, inline ``<00:00:01.234>`` times, ``<c>`` or
``<v>`` spans, ``Kind:``/``Language:`` lines before the first cue) or has no SRT index numbers. The caption-format
registry (``formats.py``) asks ``is_headerless_vtt`` whether WebVTT claims a whole file and
``starts_like_headerless_vtt`` whether the start of an upload is WebVTT; the file is read as WebVTT with a
warning, and when webvtt-py cannot read it that way, the SRT reader gets it as before.
"""

from __future__ import annotations

import re

from transcripts.cues import is_timing_like
from transcripts.errors import TranscriptError
from transcripts.vtt import VttFile, read_vtt

_COMMA_MILLIS = re.compile(r"\d:\d{1,2},\d")
_SETTING = re.compile(r"-->.*\b(?:align|position|line|size|region|vertical):\S")
_VTT_MARKUP = re.compile(r"<(?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3}>|<c[.>]|<v[ .]")
_HEADER_LINE = re.compile(r"^(?:Kind|Language|Style|Region)\s*:", re.IGNORECASE)
# The start of WebVTT that lost its WEBVTT line but kept the metadata lines under it.
_METADATA_START = re.compile(
    r"^\s*(?:(?:Kind|Language)\s*:[^\n]*\r?\n)+\s*(?:\S[^\n]*\r?\n)?\s*[\d:.]+\s*-->", re.IGNORECASE
)


def starts_like_headerless_vtt(head: str) -> bool:
    """The decoded start of a file is WebVTT's ``Kind:``/``Language:`` lines and a first cue, without ``WEBVTT``."""
    return bool(_METADATA_START.match(head))


def is_headerless_vtt(text: str) -> bool:
    """A whole decoded file without a ``WEBVTT`` header whose cues are WebVTT cues (see the module docstring)."""
    lines = text.split("\n")
    timing = [index for index, line in enumerate(lines) if is_timing_like(line)]
    return bool(timing) and _looks_like_webvtt(lines, timing)


def read_headerless_vtt(text: str, source: str, warnings: list[str]) -> VttFile | None:
    """The cues of WebVTT text without its header, or None when webvtt-py cannot read it so (or finds no cue)."""
    body = text.lstrip(" \t\n")
    skipped = text[: len(text) - len(body)].count("\n")
    prefix = "WEBVTT\n" if _HEADER_LINE.match(body) else "WEBVTT\n\n"  # header lines stay the header
    attempt: list[str] = []
    try:
        vtt = read_vtt(prefix + body, source, attempt, skipped - prefix.count("\n"))
    except TranscriptError:
        return None
    if not vtt.cues:
        return None
    warnings.append(
        f"{source}, line {skipped + 1}: no WEBVTT header; read as WebVTT (the cues are WebVTT cues)"
    )
    warnings.extend(attempt)
    return vtt


def _looks_like_webvtt(lines: list[str], timing: list[int]) -> bool:
    timing_lines = [lines[index] for index in timing]
    if any(_COMMA_MILLIS.search(line) for line in timing_lines):
        return False
    head = lines[: timing[0]]
    if any(_HEADER_LINE.match(line) for line in head):
        return True
    if any(_SETTING.search(line) for line in timing_lines) or any(_VTT_MARKUP.search(line) for line in lines):
        return True
    indexed = sum(1 for index in timing if index > 0 and lines[index - 1].strip().isdigit())
    return indexed < len(timing) / 2
