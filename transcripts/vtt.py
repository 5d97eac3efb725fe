"""WebVTT through webvtt-py (the only module that imports it), with the cue-losing cases caught.

webvtt-py silently drops a cue whose timing line it cannot read. We find every line holding ``-->`` first,
validate it ourselves (naming the line when it is bad), hand webvtt-py the timing lines in canonical form,
and check that it returned exactly one caption per timing line.
"""

from __future__ import annotations

from dataclasses import dataclass

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from transcripts.cues import Cue, Timing, canonical_timing, read_timing
from transcripts.errors import TranscriptError


@dataclass(frozen=True, slots=True)
class VttFile:
    cues: tuple[Cue, ...]
    header: tuple[str, ...]  # the header text and metadata lines ("Kind: captions", "Language: en", ...)


def read_vtt(text: str, source: str) -> VttFile:
    lines = text.split("\n")
    timings = _timings(lines, source)
    try:
        parsed = webvtt.WebVTT.from_string("\n".join(lines))
    except (MalformedFileError, MalformedCaptionError, ValueError) as exc:
        raise TranscriptError(f"not a readable WebVTT file ({exc})", source=source, line=1) from exc
    captions = parsed.captions
    _check_all_read(captions, timings, source)
    cues = tuple(
        Cue(t.start, t.end, caption.raw_text, t.line, t.settings)
        for caption, t in zip(captions, timings, strict=True)
    )
    header = (parsed.header_text, *parsed.metadata)
    return VttFile(cues, tuple(line for line in header if line))


def _timings(lines: list[str], source: str) -> list[Timing]:
    """Validate every line holding ``-->`` (rewriting it in place in canonical form); return them in order."""
    timings = []
    for index, line in enumerate(lines):
        if "-->" in line:
            timing = read_timing(line, index + 1, source)
            lines[index] = canonical_timing(timing)
            timings.append(timing)
    return timings


def _check_all_read(captions, timings: list[Timing], source: str) -> None:
    """Report the first timing line webvtt-py did not turn into a caption, instead of losing its text."""
    for index, timing in enumerate(timings):
        caption = captions[index] if index < len(captions) else None
        if caption is None or not _same_times(caption, timing):
            raise TranscriptError(
                "this cue could not be read as WebVTT (is a blank line missing before it, "
                "or is there more than one line between the blank line and the timing line?)",
                source=source,
                line=timing.line,
            )
    if len(captions) > len(timings):  # cannot happen with webvtt-py 0.6: every caption has a timing line
        raise TranscriptError("unexpected cue structure", source=source)


def _same_times(caption, timing: Timing) -> bool:
    start = caption.start_time.in_milliseconds()
    end = caption.end_time.in_milliseconds()
    return start == round(timing.start * 1000) and end == round(timing.end * 1000)
