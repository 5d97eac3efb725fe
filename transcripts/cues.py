"""Raw cues as read from a file, before cleaning: times, payload, and the line they came from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from transcripts.errors import TranscriptError
from transcripts.markup import strip_markup

# Lenient on purpose: 1- or 2-digit fields, optional hours, "." or "," before the milliseconds.
_STAMP = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})"
TIMING_LINE = re.compile(rf"^[ \t]*{_STAMP}[ \t]*-->[ \t]*{_STAMP}(?=[ \t]|$)(.*)$")
# A timestamp at the start of a line followed by some other arrow: a timing line with a typo.
_ARROWISH = re.compile(r"^[ \t]*(?:\d+:)?\d{1,2}:\d{1,2}[.,]\d+[ \t]*(?:-+>?|[–—=]+>?)[ \t]*\d")
# The common case, already in strict WebVTT form: read by slicing, written back as is.
_CANONICAL = re.compile(
    r"(\d{2}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2}):([0-5]\d):([0-5]\d)\.(\d{3})(?=[ \t]|$)"
)
ONE_DAY = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Cue:
    """One cue of a caption file: ``text`` is the payload as written (markup and all), lines joined by LF."""

    start: float
    end: float
    text: str
    line: int  # 1-based line of the timing line, for messages
    settings: str = ""
    shift: float = 0.0  # seconds added to the file's times to put the cue on one timeline (timeline.py)


@dataclass(frozen=True, slots=True)
class Timing:
    start: float
    end: float
    settings: str
    line: int
    canonical: str  # the timing in strict WebVTT form, without settings, for webvtt-py


def is_timing_like(line: str) -> bool:
    """A cue timing line, or a line that was meant to be one (``-->`` anywhere, or a timestamp and an arrow)."""
    if "-->" in line:
        return True
    return (line[:1].isdigit() or line[:1] in (" ", "\t")) and bool(_ARROWISH.match(line))


def read_timing(line: str, number: int, source: str) -> Timing:
    """Read a line holding ``-->``; a ``TranscriptError`` naming the line if it is not a cue timing line."""
    strict = _CANONICAL.match(line)
    if strict:
        g = [int(field) for field in strict.groups()]
        start = (g[0] * 3_600_000 + g[1] * 60_000 + g[2] * 1000 + g[3]) / 1000
        end = (g[4] * 3_600_000 + g[5] * 60_000 + g[6] * 1000 + g[7]) / 1000
        return Timing(start, end, line[strict.end() :].strip(), number, strict.group(0))
    match = TIMING_LINE.match(line)
    if not match:
        raise TranscriptError(f"not a valid cue timing line: {_shorten(line)!r}", source=source, line=number)
    groups = match.groups()
    start = _seconds(groups[0:4], line, number, source)
    end = _seconds(groups[4:8], line, number, source)
    return Timing(start, end, groups[8].strip(), number, f"{_stamp(start)} --> {_stamp(end)}")


def _seconds(fields, line: str, number: int, source: str) -> float:
    hours, minutes, seconds, millis = fields
    if int(minutes) > 59 or int(seconds) > 59:
        raise TranscriptError(
            f"minutes and seconds must be below 60 in {_shorten(line)!r}", source=source, line=number
        )
    if hours is not None and len(hours) > 6:
        raise TranscriptError(f"timestamp out of range in {_shorten(line)!r}", source=source, line=number)
    return (
        int(hours or 0) * 3_600_000 + int(minutes) * 60_000 + int(seconds) * 1000 + int(millis.ljust(3, "0"))
    ) / 1000


def clock(seconds: float) -> str:
    """``HH:MM:SS.mmm``, for messages."""
    return _stamp(max(seconds, 0.0))


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def usable(cue: Cue, source: str, warnings: list[str]) -> bool:
    """Whether a cue holds speech to keep. Zero-length and empty cues go quietly; impossible times warn.

    Cues that end before they start, or start or end beyond 24 hours, are dropped with a warning naming
    the line, rather than failing the whole file.
    """
    if cue.end < cue.start:
        warnings.append(f"{source}, line {cue.line}: cue ends before it starts; dropped ({_words(cue)})")
        return False
    if cue.start > ONE_DAY or cue.end > ONE_DAY:
        warnings.append(f"{source}, line {cue.line}: cue time beyond 24 hours; dropped ({_words(cue)})")
        return False
    return cue.end > cue.start and bool(cue.text.strip())


def _words(cue: Cue) -> str:
    count = len(strip_markup(cue.text).split())
    return f"{count} word{'' if count == 1 else 's'}"


def _shorten(line: str, limit: int = 60) -> str:
    line = line.strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"
