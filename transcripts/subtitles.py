"""Subtitle-grade cues from segments: at most two lines of ``LINE_CHARS`` characters, about ``CUE_SECONDS`` each.

Segments are paragraphs for reading; a player needs short cues. Both come from one source of truth, the stored
segments and their marks: a mark says when a character offset was spoken (one mark per original cue, or one
per word for word-timed automatic captions, whose rolling repeats the reader already removed). Words between
two marks are spread over that stretch of time by their position in the text; marks that repeat the previous
time (a line of words all stamped with its cue start) are merged first so no word gets zero time.

Words are packed greedily into a cue while the cue still wraps into two lines and lasts at most
``CUE_SECONDS``; a cue also ends after a sentence once it has some length. A cue never spans two segments, so a
speaker change always starts a new cue. A word longer than a line gets a line (and a cue) of its own, and one
word spoken for longer than ``CUE_SECONDS`` keeps its time: those are the shortest splits the source allows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from transcripts.export import clock, srt_safe, vtt_escape

LINE_CHARS = 42
MAX_LINES = 2
CUE_SECONDS = 7.0
SENTENCE_CHARS = 30  # a cue this long ends at the end of a sentence
_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")
_MIN_LENGTH = 0.001
GAP = 0.001  # between one cue's end and the next cue's start


@dataclass(frozen=True)
class SubtitleCue:
    start: float
    end: float
    lines: tuple[str, ...]
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    start: float
    end: float
    stretch: int = 0  # which mark's stretch of text the word is in
    short: bool = False  # that whole stretch fits in one cue


def subtitle_cues(segments: Sequence[Any], *, labels: bool = False) -> tuple[SubtitleCue, ...]:
    """Cues for ``segments`` (objects with ``.start .end .text .speaker`` and optionally ``.marks``).

    ``labels``: start each new turn with ``Name:`` (or ``-`` for an unnamed turn after a named one) inside the
    cue text, counted in its line length, as SubRip has no voices."""
    cues: list[SubtitleCue] = []
    previous = None
    for segment in segments:
        words = timed_words(segment)
        if labels:
            words = _labelled(words, segment, previous)
        cues.extend(SubtitleCue(*times, wrap(text), segment.speaker) for text, times in _packed(words))
        previous = segment
    return tuple(_no_overlaps(cues))


def timed_words(segment: Any) -> list[_Word]:
    """The words of ``segment``, each with the time it starts and the time the next one starts."""
    text = segment.text
    start, end = float(segment.start), max(float(segment.end), float(segment.start))
    stretches = _stretches(segment, len(text), start, end)
    short = [_fits_lines(" ".join(text[first:past].split())) for first, past, _, _ in stretches]
    words: list[_Word] = []
    for match in re.finditer(r"\S+", text):
        index = _stretch_of(stretches, match.start())
        time = _time_at(stretches[index], match.start())
        words.append(_Word(match.group(0), time, end, index, short[index]))
    return [
        _Word(
            word.text,
            word.start,
            max(words[i + 1].start if i + 1 < len(words) else end, word.start),
            word.stretch,
            word.short,
        )
        for i, word in enumerate(words)
    ]


def _stretches(segment: Any, length: int, start: float, end: float) -> list[tuple[int, int, float, float]]:
    """``(first offset, past offset, from, to)`` per mark, marks at the time of the previous one merged."""
    marks = [(0, start)]
    for mark in getattr(segment, "marks", ()) or ():
        offset, time = (mark.offset, mark.time) if hasattr(mark, "offset") else mark
        time = min(max(float(time), marks[-1][1]), end)
        if 0 < offset < length and offset > marks[-1][0] and time > marks[-1][1]:
            marks.append((offset, time))
    bounds = [*marks, (length, end)]
    return [(a[0], b[0], a[1], b[1]) for a, b in zip(bounds, bounds[1:], strict=False)]


def _stretch_of(stretches: list[tuple[int, int, float, float]], offset: int) -> int:
    for index, (first, past, _, _) in enumerate(stretches):
        if first <= offset < past:
            return index
    return len(stretches) - 1


def _time_at(stretch: tuple[int, int, float, float], offset: int) -> float:
    first, past, begin, finish = stretch
    return begin + (finish - begin) * (offset - first) / max(past - first, 1)


def _labelled(words: list[_Word], segment: Any, previous: Any) -> list[_Word]:
    if not words:
        return words
    if segment.speaker and (previous is None or previous.speaker != segment.speaker):
        label = f"{' '.join(segment.speaker.split())}:"
    elif not segment.speaker and previous is not None and previous.speaker:
        label = "-"
    else:
        return words
    first = words[0]
    labelled = _Word(f"{label} {first.text}", first.start, first.end, first.stretch, first.short)
    return [labelled, *words[1:]]


def _packed(words: list[_Word]):
    """``(text, (start, end))`` per cue."""
    cue: list[_Word] = []
    for word in words:
        if cue and not _fits(cue, word):
            yield _close(cue)
            cue = []
        cue.append(word)
        if _SENTENCE_END.search(word.text) and len(" ".join(w.text for w in cue)) >= SENTENCE_CHARS:
            yield _close(cue)
            cue = []
    if cue:
        yield _close(cue)


def _fits(cue: list[_Word], word: _Word) -> bool:
    """``word`` may join ``cue`` if they still wrap into two lines and last ``CUE_SECONDS`` (a short source
    cue stays whole however long it was shown)."""
    one_short_stretch = word.short and all(w.stretch == word.stretch for w in cue)
    if word.end - cue[0].start > CUE_SECONDS and not one_short_stretch:
        return False
    return _fits_lines(" ".join(w.text for w in [*cue, word]))


def _fits_lines(text: str) -> bool:
    lines = wrap(text)
    return len(lines) <= MAX_LINES and all(len(line) <= LINE_CHARS for line in lines)


def _close(cue: list[_Word]) -> tuple[str, tuple[float, float]]:
    """The cue's text and times; no cue is shown longer than ``CUE_SECONDS``."""
    start = cue[0].start
    return " ".join(w.text for w in cue), (start, min(cue[-1].end, start + CUE_SECONDS))


def wrap(text: str) -> tuple[str, ...]:
    """``text`` on one line if it fits, else split at the space that best balances two lines that fit; a text
    that cannot fit in two lines comes back as more lines (so that callers can tell)."""
    if len(text) <= LINE_CHARS:
        return (text,)
    spaces = [i for i, char in enumerate(text) if char == " "]
    fitting = [i for i in spaces if i <= LINE_CHARS and len(text) - i - 1 <= LINE_CHARS]
    if fitting:
        best = min(fitting, key=lambda i: abs(len(text) - 2 * i - 1))
        return (text[:best], text[best + 1 :])
    return tuple(text.split(" ")) if spaces else (text,)


def _no_overlaps(cues: list[SubtitleCue]) -> list[SubtitleCue]:
    """Starts never go back, and a cue ends ``GAP`` before the next one starts: a player shows one at a time
    (Chromium kept a cue that ended exactly where a seek landed on screen with the next one)."""
    result: list[SubtitleCue] = []
    for index, cue in enumerate(cues):
        start = max(cue.start, result[-1].end if result else 0.0)
        end = max(cue.end, start + _MIN_LENGTH)
        following = cues[index + 1].start if index + 1 < len(cues) else None
        if following is not None and following - GAP < end:
            end = max(following - GAP, start + _MIN_LENGTH)
        result.append(SubtitleCue(start, end, cue.lines, cue.speaker))
    return result


def subtitles_vtt(segments: Sequence[Any], *, title: str | None = None) -> str:
    """Subtitle cues as WebVTT: speakers as ``<v Name>`` voices, two lines at most per cue."""
    title = " ".join((title or "").split()).replace("-->", "→")
    blocks = [f"WEBVTT - {title}" if title else "WEBVTT"]
    for cue in subtitle_cues(segments):
        text = "\n".join(vtt_escape(line) for line in cue.lines)
        if cue.speaker:
            text = f"<v {vtt_escape(' '.join(cue.speaker.split()))}>{text}</v>"
        blocks.append(f"{clock(cue.start, '.')} --> {clock(cue.end, '.')}\n{text}")
    return "\n\n".join(blocks) + "\n"


def subtitles_srt(segments: Sequence[Any]) -> str:
    """Subtitle cues as SubRip: a ``Name:`` label where a speaker's turn starts."""
    blocks = []
    for number, cue in enumerate(subtitle_cues(segments, labels=True), start=1):
        text = "\n".join(srt_safe(line) for line in cue.lines)
        blocks.append(f"{number}\n{clock(cue.start, ',')} --> {clock(cue.end, ',')}\n{text}")
    return "\n\n".join(blocks) + ("\n" if blocks else "")
