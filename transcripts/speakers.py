"""Who is speaking: WebVTT voices, Zoom ``Name: text``, broadcast ``>>`` turns, and ``- `` dash turns.

A cue's text is cut into parts; each part either keeps the current speaker or starts a new turn. Speakers are
sticky: a cue without any marker continues the current speaker's turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transcripts.cues import Cue
from transcripts.markup import strip_markup, strip_tags
from transcripts.segments import Piece

_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>")
_VOICE_END = re.compile(r"</v>")
_TURN_MARK = re.compile(r">{2,}\s*")
_DASH = re.compile(r"^\s*[-–—]\s+(?=\S)")
# "Name: text" at the start of a cue; the name is up to 5 words and has no sentence punctuation.
_NAME_PREFIX = re.compile(r"^([^\s:<>\[\](){}\"?!,;*#][^:<>\[\](){}\"?!,;*#]{0,59}?):[ \t]+(?=\S)")
# After ">>": "MAYOR BREED:" or "Mayor London Breed:" — every word capitalised, up to five words.
_LOUD_NAME = re.compile(r"^((?:[A-Z][\w.'’\-]*)(?: [A-Z][\w.'’\-]*){0,4}):[ \t]+(?=\S)")
# Labels that look like "Name:" but are not people.
_NOT_NAMES = {
    "note", "notes", "nota", "warning", "caution", "important", "tip", "example", "update", "reminder",
    "source", "music", "applause", "laughter", "http", "https", "re", "fwd", "ps", "p.s", "subject", "time",
    "date", "location", "agenda", "item", "motion", "vote", "result", "total", "step",
}  # fmt: skip
ZOOM_SHARE = 0.6


@dataclass(frozen=True, slots=True)
class Part:
    """Plain text spoken in one go. ``turn`` starts a new turn; when ``names`` is set, ``speaker`` (None:
    unknown) becomes the current speaker. A part with empty text only passes its turn on to the next one."""

    text: str
    turn: bool = False
    names: bool = False
    speaker: str | None = None


def cue_pieces(cues: list[Cue]) -> list[Piece]:
    """Cues (in time order) to pieces of speech, each with its speaker and whether it starts a new turn.
    A cue repeating the previous cue's exact words while overlapping it is dropped as a repeat."""
    zoom = uses_zoom_names([strip_markup(cue.text.split("\n")[0]) for cue in cues if "<v" not in cue.text])
    pieces: list[Piece] = []
    speaker: str | None = None
    turn = False
    previous: tuple[str, float] | None = None
    for cue in cues:
        parts = cue_parts(cue.text, zoom=zoom)
        said = " ".join(part.text for part in parts if part.text)
        if previous and said == previous[0] and cue.start < previous[1]:
            continue
        previous = (said, cue.end) if said else previous
        for part in parts:
            turn = turn or part.turn
            if part.names:
                speaker = part.speaker
            if part.text:
                pieces.append(Piece(part.text, cue.start, cue.end, speaker, turn))
                turn = False
    return pieces


def speaker_name(text: str) -> tuple[str, str] | None:
    """``("Jane Doe", "rest")`` when plain ``text`` starts with a person's name and a colon, else None."""
    match = _NAME_PREFIX.match(text)
    if not match:
        return None
    name = match.group(1).strip()
    words = name.split()
    if not words or len(words) > 5 or name.replace(".", "").isdigit() or name.lower() in _NOT_NAMES:
        return None
    if not any(char.isalpha() for char in name):
        return None
    return name, text[match.end() :]


def uses_zoom_names(first_lines: list[str]) -> bool:
    """Whether a file really labels its cues ``Name: text``: most of its cues do, and at least two."""
    named = sum(1 for line in first_lines if speaker_name(line))
    return named >= 2 and named >= ZOOM_SHARE * len(first_lines)


def cue_parts(raw: str, *, zoom: bool) -> list[Part]:
    """Cut one cue's raw text into parts at voices, dash turns and ``>>`` markers; markup removed."""
    parts: list[Part] = []
    for voice, chunk in _voice_chunks(raw):
        first = len(parts)
        lines = strip_tags(chunk).split("\n")
        dashes = bool(_DASH.match(lines[0]))  # a dash turns only from a cue's first line on
        for line in lines:
            parts.extend(_line_parts(line, dashes))
        if voice is not None and len(parts) > first and not parts[first].names:
            parts[first] = Part(parts[first].text, parts[first].turn, True, voice)
    parts = _merged(parts)
    if zoom and parts and not parts[0].names:
        named = speaker_name(parts[0].text)
        if named:
            parts[0] = Part(named[1], parts[0].turn, True, named[0])
    return parts


def _merged(parts: list[Part]) -> list[Part]:
    """Lines that neither start a turn nor name a speaker join the part before them."""
    merged: list[Part] = []
    for part in parts:
        if merged and not part.turn and not part.names:
            last = merged[-1]
            text = f"{last.text} {part.text}" if last.text and part.text else last.text or part.text
            merged[-1] = Part(text, last.turn, last.names, last.speaker)
        else:
            merged.append(part)
    return merged


def _voice_chunks(raw: str) -> list[tuple[str | None, str]]:
    """``[(voice or None, raw text)]``: the text before the first ``<v>`` has no voice of its own."""
    if "<v" not in raw:
        return [(None, raw)]
    chunks: list[tuple[str | None, str]] = []
    position, voice = 0, None
    for match in _VOICE.finditer(raw):
        chunks.append((voice, raw[position : match.start()]))
        voice = strip_markup(match.group(1) or "") or None
        position = match.end()
    chunks.append((voice, raw[position:]))
    return [(v, _VOICE_END.sub("", text)) for v, text in chunks if v is not None or text.strip()]


def _line_parts(line: str, dashes: bool) -> list[Part]:
    dash = _DASH.match(line) if dashes else None
    text = strip_markup(line[dash.end() :] if dash else line)
    parts = [Part(text, True, True, None) if dash else Part(text)]
    if ">>" in text:
        parts = _split_turn_marks(parts[0])
    return parts


def _split_turn_marks(part: Part) -> list[Part]:
    pieces = _TURN_MARK.split(part.text)
    head = pieces[0].strip()
    parts = [Part(head, part.turn, part.names, part.speaker)] if head or part.turn else []
    for piece in pieces[1:]:
        name = _turn_name(piece)
        rest = piece[len(name) + 1 :] if name else piece
        parts.append(Part(rest.strip(), True, True, name))
    return parts


def _turn_name(piece: str) -> str | None:
    """The name in ``>> NAME: text``: capitalised words; a single word only in capitals ("JUAREZ", not "So")."""
    match = _LOUD_NAME.match(piece)
    if not match:
        return None
    name = match.group(1)
    if name.lower() in _NOT_NAMES or (" " not in name and not (name.isupper() and len(name) > 1)):
        return None
    return name
