"""Cue times as the file gives them, made into one timeline without losing or reordering a word.

Real files restart their clock (two recordings joined: times go back to 00:00), jump by hours (a live stream's
wall clock, ``00:00:23`` then ``26:55:32``), or hold a single cue out of place. A *clock change* is a cue that
breaks with the cue before it (starts more than ``BACKSTEP`` seconds before it, or more than ``JUMP`` seconds
after it ended) while the cue after it carries on from it, and which, going back, lands on speech already
placed: that cue and every later one are moved by the same amount so that they follow on from the cue before, in
the file's order, and a warning names the line. A cue merely out of place (the next cue returns to the old
clock, or it fits a gap between the cues already read: a shuffled file) keeps its own time and is put in time
order, with a warning naming its line.
"""

from __future__ import annotations

import bisect
from dataclasses import replace

from transcripts.cues import ONE_DAY, Cue, clock

BACKSTEP = 1.0  # seconds back before a cue is out of order (smaller overlaps are ordinary caption timing)
JUMP = 3600.0  # seconds of silence after which the next cue is a jump, not speech resuming
_MAX_NOTED = 10  # out-of-order lines named one by one; the rest are counted


def one_timeline(cues: list[Cue], source: str, warnings: list[str]) -> list[Cue]:
    """The cues in time order (stable), clock changes moved to follow on; a warning for each change."""
    placed: list[Cue] = []
    clock_cues: list[Cue] = []  # cues on the timeline's clock, in order: what a restart collides with
    shift = 0.0
    previous: Cue | None = None  # the last cue on the current clock, after its move
    stray: list[int] = []
    changes: list[str] = []
    for index, cue in enumerate(cues):
        cue = _moved(cue, shift)
        if previous is not None and _breaks(previous, cue):
            following = _moved(cues[index + 1], shift) if index + 1 < len(cues) else None
            if following is not None and _changes_clock(previous, cue, following, clock_cues):
                offset = previous.end - cue.start
                changes.append(_clock_change(source, previous, cue, offset))
                shift += offset
                cue = _moved(cue, offset)
            else:
                if _on_the_clock(cue):  # the others are dropped with a warning of their own (cues.usable)
                    stray.append(cue.line)
                placed.append(cue)
                continue
        placed.append(cue)
        clock_cues.append(cue)
        previous = cue
    warnings.extend(changes[:_MAX_NOTED])
    if len(changes) > _MAX_NOTED:
        warnings.append(
            f"{source}: {len(changes) - _MAX_NOTED} more clock changes like these, each moved the same way"
        )
    warnings.extend(_stray_warnings(source, stray))
    return sorted(placed, key=lambda cue: cue.start)


def _changes_clock(previous: Cue, cue: Cue, following: Cue, clock_cues: list[Cue]) -> bool:
    """The cue after ``cue`` carries on from it, and, going back, ``cue`` lands on speech already placed or before
    the start (a file merely out of order has its earlier cues fit in the gaps: those are put in time order)."""
    if _breaks(cue, following) or not _breaks(previous, following):
        return False
    return cue.start > previous.start or cue.start < 0 or _collides(cue, clock_cues)


def _collides(cue: Cue, clock_cues: list[Cue]) -> bool:
    """Whether ``cue`` overlaps one of the cues placed so far (in time order, give or take small overlaps)."""
    position = bisect.bisect_left(clock_cues, cue.end, key=lambda placed: placed.start)
    return any(placed.end > cue.start for placed in clock_cues[max(0, position - 3) : position])


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
