"""Segments out as WebVTT, SRT, plain text or JSON.

``segments`` is any sequence of objects with ``.start .end .text .speaker`` (ours, or the catalog's stored
segments). Text is escaped so that it reads back as the same words: ``&``, ``<`` and ``>`` become character
references in WebVTT; in SRT only a ``<`` that would open a tag, an ``&`` that would start a character
reference, and ``-->`` are escaped. Speakers are
``<v Name>`` voices in WebVTT and a ``Name:`` label in SRT and text; a segment without a speaker right after one
with a speaker starts with ``- `` (a new turn), so that it does not read back as the same speaker carrying on.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

_TAG_OPEN = re.compile(r"<(?=[A-Za-z/])")
_ENTITY = re.compile(r"&#?\w+;?")
_MIN_LENGTH = 0.001


def to_vtt(segments: Sequence[Any], *, title: str | None = None) -> str:
    title = _one_line(title).replace("-->", "→")  # the header is not cue text: no references, no arrow
    header = f"WEBVTT - {title}" if title else "WEBVTT"
    blocks = [header]
    previous = None
    for segment in segments:
        start, end = _times(segment)
        text = _vtt_escape(_one_line(segment.text))
        if segment.speaker:
            text = f"<v {_vtt_escape(_one_line(segment.speaker))}>{text}</v>"
        elif previous is not None and previous.speaker:
            text = f"- {text}"  # a new turn by someone unnamed, not the previous speaker carrying on
        blocks.append(f"{_clock(start, '.')} --> {_clock(end, '.')}\n{text}")
        previous = segment
    return "\n\n".join(blocks) + "\n"


def to_srt(segments: Sequence[Any]) -> str:
    blocks = []
    previous = None
    for number, segment in enumerate(segments, start=1):
        start, end = _times(segment)
        text = _labelled(segment)
        if not segment.speaker and previous is not None and previous.speaker:
            text = f"- {text}"
        blocks.append(f"{number}\n{_clock(start, ',')} --> {_clock(end, ',')}\n{_srt_safe(text)}")
        previous = segment
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def to_txt(segments: Sequence[Any], *, title: str | None = None) -> str:
    lines = [_one_line(title), ""] if title and _one_line(title) else []
    lines.extend(f"[{_clock(segment.start, None)}] {_labelled(segment)}" for segment in segments)
    return "\n".join(lines) + "\n"


def to_json(segments: Sequence[Any], *, meta: dict | None = None) -> str:
    document = {
        "meta": meta or {},
        "segments": [
            {"start": segment.start, "end": segment.end, "speaker": segment.speaker, "text": segment.text}
            for segment in segments
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _times(segment: Any) -> tuple[float, float]:
    start = max(float(segment.start), 0.0)
    return start, max(float(segment.end), start + _MIN_LENGTH)


def _clock(seconds: float, separator: str | None) -> str:
    millis = round(max(seconds, 0.0) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    clock = f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}"
    return clock if separator is None else f"{clock}{separator}{rest % 1000:03d}"


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _labelled(segment: Any) -> str:
    text = _one_line(segment.text)
    return f"{_one_line(segment.speaker)}: {text}" if segment.speaker else text


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _srt_safe(text: str) -> str:
    """SRT has no escaping rules: escape only what a reader would take as a tag, an entity or a timing arrow."""
    text = _ENTITY.sub(_keep_ampersand, text)
    return _TAG_OPEN.sub("&lt;", text.replace("-->", "--&gt;"))


def _keep_ampersand(match: re.Match) -> str:
    reference = match.group(0)
    return "&amp;" + reference[1:] if html.unescape(reference) != reference else reference


# For the other writers of the package (transcripts.subtitles).
clock = _clock
vtt_escape = _vtt_escape
srt_safe = _srt_safe
