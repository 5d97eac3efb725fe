"""Caps on what one caption file may make, and one large parse at a time per process.

A caption file under the byte cap (``MAX_CAPTION_BYTES``, 20 MB) can still hold 700,000 tiny cues: parsed, that
was 27-36 s and ~900 MB, and once published every search and the session page crawled. So a file may hold at
most ``MAX_CUES`` cue timing lines (counted in the decoded text before any cue is read) and make at most
``MAX_SEGMENTS`` segments. The 55-minute YouTube automatic-caption file of the corpus has 3,269 cues, so the cue
cap is about 40 hours of such captions.

Files over ``LARGE_PARSE_BYTES`` are parsed one at a time in a process (four parallel uploads of large files once
peaked at 3.3 GB); a parse that has to wait for another says so in the transcript's warnings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from transcripts.errors import TranscriptError

MAX_CUES = 150_000
MAX_SEGMENTS = 100_000
LARGE_PARSE_BYTES = 2 * 1024 * 1024  # four times the largest real file of the corpus

_LARGE_PARSE = threading.Lock()


def check_cue_count(text: str, name: str) -> None:
    """Refuse a decoded caption file with more than ``MAX_CUES`` timing lines, before any cue is parsed."""
    count = text.count("-->")
    if count > MAX_CUES:
        raise TranscriptError(
            f"the file has {count:,} cues; a caption file is limited to {MAX_CUES:,} cues", source=name
        )


def check_segment_count(count: int, name: str) -> None:
    if count > MAX_SEGMENTS:
        raise TranscriptError(
            f"the file makes {count:,} segments; a caption file is limited to {MAX_SEGMENTS:,} segments",
            source=name,
        )


@contextmanager
def parse_slot(size: int, name: str, warnings: list[str]) -> Iterator[None]:
    """Hold the process's one large-parse slot while parsing ``size`` bytes (small files never wait)."""
    if size <= LARGE_PARSE_BYTES:
        yield
        return
    if not _LARGE_PARSE.acquire(blocking=False):
        started = time.monotonic()
        _LARGE_PARSE.acquire()
        warnings.append(
            f"{name}: waited {time.monotonic() - started:.1f} s for another large caption file to be read "
            "(large files are read one at a time)"
        )
    try:
        yield
    finally:
        _LARGE_PARSE.release()
