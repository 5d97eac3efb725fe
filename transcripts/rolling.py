"""YouTube automatic captions: rolling two-line cues with inline word timing, each line shown ~3 times.

A cue shows the previous line again above the new one; a 10 ms "carry" cue then shows the finished line alone.
Only new lines are kept: a line with inline ``<00:00:01.234>`` word times is always new (YouTube times only
the words being spoken); a plain line is new unless it repeats one of the last two lines kept. The legacy
youtube-dl layout (``<c.colorE5E5E5>`` spans) follows the same rule. Each word becomes a mark.
"""

from __future__ import annotations

import re
from collections import deque

from transcripts.cues import Cue
from transcripts.markup import INLINE_TIME, parse_time, strip_markup
from transcripts.segments import Piece

_TURN = ">>"
_CLASS_SPAN = re.compile(r"</?c(?:\.[^<>\s]*)?>")


def is_rolling(cues: list[Cue]) -> bool:
    """Word-timed captions: several cues carry inline timestamps."""
    timed = sum(1 for cue in cues if "<" in cue.text and INLINE_TIME.search(cue.text))
    return timed >= 1 and timed >= 0.05 * len(cues)


def rolling_pieces(cues: list[Cue]) -> list[Piece]:
    pieces: list[Piece] = []
    recent: deque[str] = deque(maxlen=2)
    turn = False  # a ">>" at the end of one line starts the turn on the next
    for cue in cues:
        for line in cue.text.split("\n"):
            if "<" in line and INLINE_TIME.search(line):
                words = _timed_words(line, cue)
            else:
                text = strip_markup(line)
                if not text or text in recent:
                    continue
                words = [(word, cue.start) for word in text.split()]
            if words:
                recent.append(" ".join(word for word, _ in words))
                turn = _add_pieces(pieces, words, cue, turn)
    return pieces


def _timed_words(line: str, cue: Cue) -> list[tuple[str, float]]:
    """``[(word, seconds)]``: words before the first inline time are spoken at the cue start."""
    chunks = INLINE_TIME.split(_CLASS_SPAN.sub("", line))
    words: list[tuple[str, float]] = []
    time = cue.start
    for index, chunk in enumerate(chunks):
        if index % 2:
            time = min(max(parse_time(chunk), time), max(cue.end, time))
            continue
        words.extend((word, time) for word in strip_markup(chunk).split())
    return words


def _add_pieces(pieces: list[Piece], words: list[tuple[str, float]], cue: Cue, turn: bool) -> bool:
    """Append one piece per run of words, a ``>>`` turn marker starting a new one; return a pending turn."""
    run: list[tuple[str, float]] = []
    for word, time in words:
        if not word.startswith(_TURN):
            run.append((word, time))
            continue
        if run:
            pieces.append(_piece(run, cue.end, turn))
        run, turn = [], True
        rest = word.lstrip(">")
        if rest:
            run.append((rest, time))
    if run:
        pieces.append(_piece(run, cue.end, turn))
        turn = False
    return turn


def _piece(run: list[tuple[str, float]], end: float, turn: bool) -> Piece:
    offsets, offset = [], 0
    for word, time in run:
        offsets.append((offset, time))
        offset += len(word) + 1
    text = " ".join(word for word, _ in run)
    return Piece(text, run[0][1], max(end, run[0][1]), None, turn, tuple(offsets))
