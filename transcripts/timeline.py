"""Cue times as the file gives them, made into one timeline without losing or reordering a word.

Real files restart their clock (two recordings joined: times go back to 00:00), jump by hours (a live stream's
wall clock, ``00:00:23`` then ``26:55:32``), or hold a single cue out of place. A *clock change* is a cue that
breaks with the cue before it (starts more than ``BACKSTEP`` seconds before it, or more than ``JUMP`` seconds
after it ended) while the cue after it carries on from it: that cue and every later one are moved by the same
amount so that they follow on from the cue before, in the file's order, and a warning names the line. A single
cue out of place (the next cue returns to the old clock) keeps its own time and is put in time order, with a
warning naming its line when it lies more than ``BACKSTEP`` seconds back or ``JUMP`` seconds ahead.
"""

from __future__ import annotations

from dataclasses import replace

from transcripts.cues import ONE_DAY, Cue, clock

BACKSTEP = 1.0  # seconds back before a cue is out of order (smaller overlaps are ordinary caption timing)
JUMP = 3600.0  # seconds of silence after which the next cue is a jump, not speech resuming
_MAX_NOTED = 10  # out-of-order lines named one by one; the rest are counted


def one_timeline(cues: list[Cue], source: str, warnings: list[str]) -> list[Cue]:
    """The cues in time order (stable), clock changes moved to follow on; a warning for each change."""
    placed: list[Cue] = []
    shift = 0.0
    previous: Cue | None = None  # the last cue on the current clock, after its move
    stray: list[int] = []
    for index, cue in enumerate(cues):
        cue = _moved(cue, shift)
        if previous is not None and _breaks(previous, cue):
            following = _moved(cues[index + 1], shift) if index + 1 < len(cues) else None
            if following is not None and _breaks(previous, following) and not _breaks(cue, following):
                offset = previous.end - cue.start
                warnings.append(_clock_change(source, previous, cue, offset))
                shift += offset
                cue = _moved(cue, offset)
            else:
                if _on_the_clock(cue):  # the others are dropped with a warning of their own (cues.usable)
                    stray.append(cue.line)
                placed.append(cue)
                continue
        placed.append(cue)
        previous = cue
    warnings.extend(_stray_warnings(source, stray))
    return sorted(placed, key=lambda cue: cue.start)


def _breaks(before: Cue, after: Cue) -> bool:
    return after.start < before.start - BACKSTEP or after.start > max(before.end, before.start) + JUMP


def _on_the_clock(cue: Cue) -> bool:
    return cue.start <= cue.end <= ONE_DAY


def _moved(cue: Cue, offset: float) -> Cue:
    if not offset:
        return cue
    return replace(cue, start=cue.start + offset, end=cue.end + offset, shift=cue.shift + offset)


def _clock_change(source: str, previous: Cue, cue: Cue, offset: float) -> str:
    written = cue.start - cue.shift
    what = "restart" if written < previous.start - previous.shift else "jump"
    return (
        f"{source}, line {cue.line}: cue times {what} from {clock(previous.start - previous.shift)} to "
        f"{clock(written)}; kept in the file's order, this cue and the ones after it moved by "
        f"{'+' if offset >= 0 else '-'}{clock(abs(offset))} to follow on at {clock(cue.start + offset)}"
    )


def _stray_warnings(source: str, lines: list[int]) -> list[str]:
    if not lines:
        return []
    named = ", ".join(str(line) for line in lines[:_MAX_NOTED])
    more = f" and {len(lines) - _MAX_NOTED} more" if len(lines) > _MAX_NOTED else ""
    label = "line" if len(lines) == 1 else "lines"
    return [f"{source}, {label} {named}{more}: a cue out of time order; placed by its own time"]
