"""Rolling captions: YouTube automatic captions (inline word times) and roll-up captions (plain lines).

YouTube shows each line ~3 times: a cue shows the previous line again above the new one; a 10 ms "carry" cue
then shows the finished line alone. Only new lines are kept: a line with inline ``<00:00:01.234>`` word times is
always new (YouTube times only the words being spoken); a plain line is new unless it repeats one of the last
two lines kept (or grows the last one: then only its new words are). So each word is stamped where it is first
shown, not where its line completes. The legacy youtube-dl layout (``<c.colorE5E5E5>`` spans) and roll-up
captions without word times (YouTube's converted to SRT, broadcast roll-up) follow the same rule.

Inline times split into pieces of words (``So<t><c> t</c><t><c>ha</c><t><c>t's</c>``) give whole words: a piece
that does not start with a space continues the word before it, and the word is timed by its first piece. Inline
times that do not lie inside their cues (most of a file's) are read as offsets from the cue start.
"""

from __future__ import annotations

import re
from collections import deque

from transcripts.cues import Cue
from transcripts.markup import INLINE_TIME, parse_time, strip_markup, strip_tags
from transcripts.segments import Piece

_TURN = ">>"
_CLASS_SPAN = re.compile(r"</?c(?:\.[^<>\s]*)?>")


def is_rolling(cues: list[Cue]) -> bool:
    """Word-timed captions (several cues carry inline timestamps), or roll-up captions."""
    timed = sum(1 for cue in cues if "<" in cue.text and INLINE_TIME.search(cue.text))
    return (timed >= 1 and timed >= 0.05 * len(cues)) or _rolls_up(cues)


def _rolls_up(cues: list[Cue]) -> bool:
    """Many cues carry the line the cue before ended on above a new one, or show it grown by a few words.
    (A cue merely repeating the one before is not rolling: a speaker may say the same thing twice.)"""
    carried = 0
    # each cue's lines once: it is ``before`` of the next one too
    every = [_lines(cue.text) for cue in cues]
    for before, lines in zip(every, every[1:], strict=False):
        last = before[-1:]
        if (
            last
            and lines
            and ((len(lines) > 1 and lines[0] == last[0]) or lines[0].startswith(last[0] + " "))
        ):
            carried += 1
    return carried >= 3 and carried >= 0.3 * len(cues)


def _lines(text: str) -> list[str]:
    return [line for line in (strip_markup(raw) for raw in text.split("\n")) if line]


def rolling_pieces(cues: list[Cue]) -> list[Piece]:
    pieces: list[Piece] = []
    recent: deque[str] = deque(maxlen=2)
    turn = False  # a ">>" at the end of one line starts the turn on the next
    relative = _relative_inline_times(cues)
    for cue in cues:
        for line in cue.text.split("\n"):
            if "<" in line and INLINE_TIME.search(line):
                words = _timed_words(line, cue, relative)
            else:
                words = _new_plain_words(strip_markup(line), recent, cue.start)
            if words:
                recent.append(" ".join(word for word, _ in words))
                turn = _add_pieces(pieces, words, cue, turn)
    return pieces


def _new_plain_words(text: str, recent: deque[str], start: float) -> list[tuple[str, float]]:
    """The words of a plain line not shown before: none for a repeat, the tail of a line that grew."""
    if not text or text in recent:
        return []
    if recent and text.startswith(recent[-1] + " "):
        grown = text[len(recent[-1]) + 1 :]
        recent[-1] = text  # the next repeat is of the whole line
        return [(word, start) for word in grown.split()]
    return [(word, start) for word in text.split()]


def _relative_inline_times(cues: list[Cue]) -> bool:
    """Whether the file's inline times are offsets from their cue's start: most of them lie outside it."""
    inside = outside = 0
    for cue in cues:
        found = INLINE_TIME.search(cue.text) if "<" in cue.text else None
        if found:
            written = parse_time(found.group(1)) + cue.shift
            if cue.start - 0.5 <= written <= cue.end + 0.5:
                inside += 1
            else:
                outside += 1
    return outside > inside


def _timed_words(line: str, cue: Cue, relative: bool) -> list[tuple[str, float]]:
    """``[(word, seconds)]``: words before the first inline time are spoken at the cue start; a piece of text
    that does not start with a space continues the word before it."""
    chunks = INLINE_TIME.split(_CLASS_SPAN.sub("", line))
    words: list[list] = []  # [raw word, seconds]
    time = cue.start
    open_word = False  # the last word may go on in the next piece
    for index, chunk in enumerate(chunks):
        if index % 2:
            written = parse_time(chunk) + (cue.start if relative else cue.shift)
            time = min(max(written, time), max(cue.end, time))
            continue
        text = strip_tags(chunk)
        if not text:
            continue
        tokens = text.split()
        if open_word and tokens and not text[0].isspace():
            words[-1][0] += tokens.pop(0)
        words.extend([token, time] for token in tokens)
        open_word = not text[-1].isspace()
    return [(clean, time) for word, time in words if (clean := strip_markup(word))]


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
