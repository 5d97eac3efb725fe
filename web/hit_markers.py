"""Where the page's query is said: one hit per match in the transcript, timed by the segment's marks, for the
markers on the player's timeline and the list of match times (the list is the no-JavaScript fallback)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from catalog import StoredSegment


@dataclass(frozen=True)
class MatchTime:
    """One match of the query: when its first word is said, and the segment it is in."""

    time: float
    segment_id: int
    words: str


def match_times(segments: list[StoredSegment], pattern: re.Pattern | None) -> list[MatchTime]:
    """Every match of ``pattern`` (the same matches the transcript marks), in the order they are said."""
    if pattern is None:
        return []
    found = []
    for segment in segments:
        for match in pattern.finditer(segment.text):
            if match.end() > match.start():
                found.append(MatchTime(time_at(segment, match.start()), segment.id, match.group(0)))
    return found


def time_at(segment: StoredSegment, offset: int) -> float:
    """The time of the last mark at or before ``offset`` (the segment start without marks)."""
    best = segment.start
    for mark_offset, mark_time in segment.marks:
        if mark_offset > offset:
            break
        best = mark_time
    return max(best, segment.start)
