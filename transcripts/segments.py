"""Pieces of speech merged into readable segments: a sentence or a speaker turn, a few seconds up to ~30 s.

Rules, in order, for whether the next piece starts a new segment:

1. it starts a new turn (``>>``, a ``- `` dash, a speaker label) or its speaker differs;
2. it comes after a pause longer than ``MAX_PAUSE`` seconds;
3. adding it would make the segment longer than ``MAX_SPAN`` seconds;
4. the segment already ends a sentence (``.``, ``?``, ``!``; not ``...``) and lasts ``MIN_SPAN`` seconds.

Word-timed automatic captions have no punctuation and their cues overlap, so for them rule 2 measures the
silence after the last word's time (``WORD_PAUSE``) and rule 3 uses ``WORD_MAX_SPAN``: paragraphs break at
pauses and turns and stay under ~20 s. So a phrase spanning two cues lands in one segment unless one of these
cuts between them. A single cue longer than ``MAX_SPAN`` stays whole. Starts are made monotonic, and a segment's end is clipped to the next start so
that segments never overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transcripts.models import Mark, Segment

MAX_SPAN = 30.0
MIN_SPAN = 5.0
MAX_PAUSE = 5.0
WORD_MAX_SPAN = 20.0
WORD_PAUSE = 1.2  # between one word's start and the next: a breath, in word-timed captions
_SENTENCE_END = re.compile(r"(?<!\.\.)[.?!…](?<!…)[\"'”’)\]]*$")


@dataclass(slots=True)
class Piece:
    """Text spoken from ``start`` (a cue, a part of a cue, or a line of words); ``words`` are extra marks
    ``(offset in text, seconds)`` for word-timed captions."""

    text: str
    start: float
    end: float
    speaker: str | None = None
    turn: bool = False
    words: tuple[tuple[int, float], ...] = ()


def build_segments(pieces: list[Piece]) -> tuple[Segment, ...]:
    groups: list[list[Piece]] = []
    for piece in pieces:
        if not groups or _starts_segment(groups[-1], piece):
            groups.append([])
        groups[-1].append(piece)
    segments = [_segment(group) for group in groups]
    return tuple(_without_overlaps(_monotonic(segments)))


def _starts_segment(group: list[Piece], piece: Piece) -> bool:
    first, last = group[0], group[-1]
    if piece.turn or piece.speaker != first.speaker:
        return True
    if last.words and piece.words:
        return _word_timed_break(first, last, piece)
    if piece.start - last.end > MAX_PAUSE or piece.end - first.start > MAX_SPAN:
        return True
    return last.end - first.start >= MIN_SPAN and bool(_SENTENCE_END.search(last.text))


def _word_timed_break(first: Piece, last: Piece, piece: Piece) -> bool:
    """A pause after the last word spoken, or ``WORD_MAX_SPAN`` reached by the next word."""
    last_word = max((time for _, time in last.words), default=last.start)
    if piece.start - last_word > WORD_PAUSE and last_word - first.start >= MIN_SPAN / 2:
        return True
    return piece.end - first.start > WORD_MAX_SPAN


def _segment(group: list[Piece]) -> Segment:
    texts: list[str] = []
    marks: list[Mark] = []
    offset = 0
    for piece in group:
        marks.append(Mark(offset, piece.start))
        marks.extend(Mark(offset + at, time) for at, time in piece.words if at > 0)
        texts.append(piece.text)
        offset += len(piece.text) + 1
    start = group[0].start
    end = max(piece.end for piece in group)
    return Segment(start, max(end, start), " ".join(texts), group[0].speaker, _tidy(marks, start))


def _tidy(marks: list[Mark], start: float) -> tuple[Mark, ...]:
    """One mark per offset, offsets and times both non-decreasing, the first at offset 0 and the start."""
    tidy = [Mark(0, start)]
    for mark in marks:
        time = max(mark.time, tidy[-1].time)
        if mark.offset > tidy[-1].offset:
            tidy.append(Mark(mark.offset, time))
    return tuple(tidy)


def _monotonic(segments: list[Segment]) -> list[Segment]:
    result: list[Segment] = []
    for segment in segments:
        floor = result[-1].start if result else 0.0
        if segment.start < floor:
            marks = tuple(Mark(m.offset, max(m.time, floor)) for m in segment.marks)
            segment = Segment(floor, max(segment.end, floor), segment.text, segment.speaker, marks)
        result.append(segment)
    return result


def _without_overlaps(segments: list[Segment]) -> list[Segment]:
    result = []
    for index, segment in enumerate(segments):
        following = segments[index + 1].start if index + 1 < len(segments) else None
        if following is not None and segment.start < following < segment.end:
            last_mark = segment.marks[-1].time if segment.marks else segment.start
            segment = Segment(
                segment.start, max(following, last_mark), segment.text, segment.speaker, segment.marks
            )
        result.append(segment)
    return result
