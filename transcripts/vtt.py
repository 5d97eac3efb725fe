"""WebVTT through webvtt-py (the only module that imports it), with the cue-losing cases caught.

webvtt-py silently drops a cue whose timing line it cannot read. We find every line holding ``-->`` first,
validate it ourselves (naming the line when it is bad), hand webvtt-py the timing lines in canonical form,
and check that it returned exactly one caption per timing line.
"""

from __future__ import annotations

from dataclasses import dataclass

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from transcripts.cues import Cue, Timing, is_timing_like, read_timing
from transcripts.errors import TranscriptError


@dataclass(frozen=True, slots=True)
class VttFile:
    cues: tuple[Cue, ...]
    header: tuple[str, ...]  # the header text and metadata lines ("Kind: captions", "Language: en", ...)


def read_vtt(text: str, source: str, warnings: list[str], skipped: int = 0) -> VttFile:
    """Read WebVTT text that starts with the header; ``skipped`` lines came before it (for line numbers)."""
    lines = text.split("\n")
    warnings.extend(_stray_text(lines, source, skipped))
    timings = _timings(lines, source, skipped)
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


def _timings(lines: list[str], source: str, skipped: int) -> list[Timing]:
    """Validate every line holding ``-->`` (rewriting it in place in canonical form); return them in order."""
    timings = []
    for index, line in enumerate(lines):
        if is_timing_like(line):
            timing = read_timing(line, skipped + index + 1, source)
            lines[index] = timing.canonical  # no settings: webvtt-py cannot drop a cue over one
            timings.append(timing)
    return timings


def _stray_text(lines: list[str], source: str, skipped: int) -> list[str]:
    """Blocks after the header that are neither cues nor NOTE/STYLE/REGION: webvtt-py skips them silently.
    As in WebVTT, only an empty line ends a block (a line of spaces does not)."""
    found = []
    block_start = None
    for index, line in enumerate([*lines, ""]):
        if line and block_start is None:
            block_start = index
        elif not line and block_start is not None:
            block = lines[block_start:index]
            if block_start > 0 and _is_stray(block):
                found.append(
                    f"{source}, line {skipped + block_start + 1}: text outside any cue ignored: {block[0][:40]!r}"
                )
            block_start = None
    return found


def _is_stray(block: list[str]) -> bool:
    """No timing line at all, or more than one line (an identifier) before it."""
    first_timing = next((i for i, line in enumerate(block) if is_timing_like(line)), None)
    if first_timing is not None:
        return first_timing >= 2
    return not block[0].startswith(("NOTE", "STYLE", "REGION", "WEBVTT"))


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
