"""Segments out as WebVTT, SRT, plain text or JSON.

``segments`` is any sequence of objects with ``.start .end .text .speaker`` (ours, or the catalog's stored
segments). Text is escaped so that it reads back as the same words: ``&``, ``<`` and ``>`` become character
references in WebVTT; in SRT only a ``<`` that would open a tag is escaped. Speakers are ``<v Name>`` voices
in WebVTT and a ``Name:`` label in SRT and text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

_TAG_OPEN = re.compile(r"<(?=[A-Za-z/])")
_MIN_LENGTH = 0.001


def to_vtt(segments: Sequence[Any], *, title: str | None = None) -> str:
    header = "WEBVTT" + (f" - {_one_line(title)}" if title and _one_line(title) else "")
    blocks = [header]
    for segment in segments:
        start, end = _times(segment)
        text = _vtt_escape(_one_line(segment.text))
        if segment.speaker:
            text = f"<v {_vtt_escape(_one_line(segment.speaker))}>{text}</v>"
        blocks.append(f"{_clock(start, '.')} --> {_clock(end, '.')}\n{text}")
    return "\n\n".join(blocks) + "\n"


def to_srt(segments: Sequence[Any]) -> str:
    blocks = []
    for number, segment in enumerate(segments, start=1):
        start, end = _times(segment)
        text = _srt_safe(_labelled(segment))
        blocks.append(f"{number}\n{_clock(start, ',')} --> {_clock(end, ',')}\n{text}")
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
    return _TAG_OPEN.sub("&lt;", text.replace("-->", "--&gt;"))
