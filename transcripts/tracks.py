"""What kind of track a file is: captions, chapters, or something that is not speech at all."""

from __future__ import annotations

import json
import re
from statistics import median

from transcripts.cues import Cue
from transcripts.errors import NotCaptionsError
from transcripts.markup import strip_markup
from transcripts.models import Chapter

_KIND = re.compile(r"^\s*kind\s*:\s*(\w+)", re.IGNORECASE)
_LANGUAGE = re.compile(
    r"^\s*(?:language|lang|srclang)\s*:\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)\s*$", re.I
)
_IMAGE = re.compile(r"\.(?:jpe?g|png|webp|gif|bmp|avif)(?:[#?]\S*)?$", re.IGNORECASE)
_NOT_SPEECH = re.compile(r"#xywh=|^https?://\S+$")
CHAPTER_MEDIAN_SECONDS = 20.0
CHAPTER_TITLE_WORDS = 10


def header_kind(header: tuple[str, ...]) -> str | None:
    for line in header:
        match = _KIND.match(line)
        if match:
            return match.group(1).lower()
    return None


def header_language(header: tuple[str, ...]) -> str | None:
    for line in header:
        match = _LANGUAGE.match(line)
        if match:
            return match.group(1).replace("_", "-")
    return None


def refuse_non_speech(cues: list[Cue], kind: str | None, source: str) -> None:
    """Raise ``NotCaptionsError`` for thumbnail sprites, image links, JSON payloads or a metadata track."""
    if kind == "metadata":
        raise NotCaptionsError("this is a metadata track (Kind: metadata), not captions", source=source)
    payloads = [cue.text.strip() for cue in cues if cue.text.strip()]
    odd = [text for text in payloads if _IMAGE.search(text) or _NOT_SPEECH.search(text) or _is_json(text)]
    if payloads and len(odd) >= 0.5 * len(payloads):
        example = odd[0].split("\n")[0][:60]
        raise NotCaptionsError(
            f"this is a thumbnail or metadata track, not captions (cue payloads like {example!r})",
            source=source,
        )


def _is_json(text: str) -> bool:
    """A JSON object or array ("[Music]" and "[APPLAUSE]" are captions, not JSON)."""
    if not (text[0] in "{[" and text[-1] in "}]"):
        return False
    try:
        return isinstance(json.loads(text), dict | list)
    except ValueError:
        return False


def chapters_of(cues: list[Cue], kind: str | None) -> tuple[Chapter, ...] | None:
    """The chapters, when the file says it is a chapters track or looks exactly like one:
    a few long, back-to-back cues, each a one-line title of a few words."""
    titles = [strip_markup(cue.text) for cue in cues]
    if kind != "chapters" and not _looks_like_chapters(cues, titles):
        return None
    return tuple(Chapter(cue.start, title, cue.end) for cue, title in zip(cues, titles, strict=True) if title)


def _looks_like_chapters(cues: list[Cue], titles: list[str]) -> bool:
    if len(cues) < 3 or any("<v" in cue.text or "\n" in cue.text.strip() for cue in cues):
        return False
    if any(not title or len(title.split()) > CHAPTER_TITLE_WORDS for title in titles):
        return False
    back_to_back = all(b.start >= a.end - 0.5 for a, b in zip(cues, cues[1:], strict=False))
    return back_to_back and median(cue.end - cue.start for cue in cues) >= CHAPTER_MEDIAN_SECONDS
