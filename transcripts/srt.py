"""SubRip (.srt) reader, written for the files found in the wild rather than the tidy ones.

Index lines are optional, blank lines inside a cue keep their text, ``.`` or ``,`` may separate the
milliseconds, and text before the first timing line is reported as a warning rather than lost silently.
"""

from __future__ import annotations

from transcripts.cues import Cue, is_timing_like, read_timing


def read_srt(text: str, source: str, warnings: list[str]) -> tuple[Cue, ...]:
    lines = text.split("\n")
    cues: list[Cue] = []
    timing = None
    payload: list[str] = []
    for index, line in enumerate(lines):
        if not is_timing_like(line):
            payload.append(line)
            continue
        _drop_index_line(payload, len(cues) + (2 if timing is not None else 1))
        if timing is not None:
            cues.append(_cue(timing, payload))
        elif any(part.strip() for part in payload):
            words = sum(len(part.split()) for part in payload)
            warnings.append(f"{source}, line 1: text before the first cue ignored ({words} words)")
        timing = read_timing(line, index + 1, source)
        payload = []
    if timing is not None:
        cues.append(_cue(timing, payload))
    return tuple(cues)


def _drop_index_line(payload: list[str], expected: int) -> None:
    """The line just before a timing line is the cue's index when it is a bare number after a blank line,
    or, without the blank line, the very number the next cue should have."""
    number = payload[-1].strip() if payload else ""
    if not (number.isascii() and number.isdigit()):  # "²" is a digit to str.isdigit, not to int()
        return
    after_blank = len(payload) == 1 or not payload[-2].strip()
    if after_blank or int(number) == expected:
        payload.pop()


def _cue(timing, payload: list[str]) -> Cue:
    while payload and not payload[-1].strip():
        payload.pop()
    return Cue(timing.start, timing.end, "\n".join(payload), timing.line, timing.settings)
