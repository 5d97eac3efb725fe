"""Adversarial property tests of the caption parsers: real corpus files, mutated.

Whatever bytes arrive, ``parse_bytes`` either gives a transcript a page can show (times in order and in range,
text without markup debris or control characters, marks inside their text) or raises the project's own
``TranscriptError`` naming the file. Never another exception, never a hang.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcripts import Transcript, TranscriptError, parse_bytes

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "captions"
# Small and mid-sized real files of every kind; the 515 KB YouTube file is cut to its first cues below.
SEEDS = sorted(p for p in CORPUS_DIR.glob("*") if p.suffix in (".vtt", ".srt")) if CORPUS_DIR.is_dir() else []
DAY = 24 * 3600.0
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

pytestmark = pytest.mark.skipif(not SEEDS, reason=f"real-world corpus not found at {CORPUS_DIR}")


def seed_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return data[:40_000]  # enough cues of the long files; keeps every example fast


def assert_showable(transcript: Transcript) -> None:
    """What a reader of the session page would notice if it were wrong."""
    assert isinstance(transcript, Transcript)
    assert transcript.segments or transcript.chapters
    previous_start = -1.0
    for segment in transcript.segments:
        assert math.isfinite(segment.start) and math.isfinite(segment.end)
        assert 0 <= segment.start <= segment.end <= DAY
        assert segment.start >= previous_start  # the transcript reads in time order
        previous_start = segment.start
        assert segment.text.strip(), "an empty line in the transcript"
        assert not CONTROL.search(segment.text), "a control character in the text"
        for mark in segment.marks:
            assert 0 <= mark.offset <= len(segment.text)
            assert math.isfinite(mark.time)
    for chapter in transcript.chapters:
        assert chapter.title.strip() and math.isfinite(chapter.start)


def parse_or_refuse(data: bytes, name: str) -> Transcript | None:
    try:
        transcript = parse_bytes(data, name)
    except TranscriptError as exc:
        assert name in str(exc), f"the error does not name the file: {exc}"
        assert "\n" not in str(exc).strip(), "an error is one line"
        return None
    assert_showable(transcript)
    return transcript


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    path = draw(st.sampled_from(SEEDS))
    data = bytearray(seed_bytes(path))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate", "splice"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"-->",
                        b"\n\n",
                        b"<v ",
                        b"<c.",
                        b"</",
                        b"00:00:",
                        b"99:99:99.999",
                        b"\r",
                        b"\xef\xbb\xbf",
                        b"\x00",
                        b"&amp;",
                        b"&#",
                        b"<00:00:01.000>",
                        b">> ",
                        b"NOTE ",
                        b"STYLE\n",
                        b"- ",
                        b"{\\an8}",
                    ]
                )
            )
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "duplicate":
            chunk = data[at : at + draw(st.integers(1, 400))]
            data[at:at] = chunk
        elif kind == "splice":
            other = seed_bytes(draw(st.sampled_from(SEEDS)))
            start = draw(st.integers(0, max(0, len(other) - 1)))
            data[at:at] = other[start : start + draw(st.integers(1, 2000))]
    return path.name, bytes(data)


@FUZZ
@given(mutated())
def test_mutated_real_caption_files_parse_or_are_refused_clearly(case):
    name, data = case
    started = time.perf_counter()
    parse_or_refuse(data, name)
    assert time.perf_counter() - started < 5, "a 40 KB file took more than 5 s"


timing = st.builds(
    lambda h, m, s, ms, sep: f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}",
    st.integers(0, 30),
    st.integers(0, 70),
    st.integers(0, 70),
    st.integers(0, 999),
    st.sampled_from([".", ","]),
)
cue_text = st.lists(
    st.sampled_from(
        [
            "abc",
            " ",
            "XYZ",
            "<",
            ">",
            "/",
            "&",
            ";",
            "&amp;",
            '"',
            "é",
            "\u200b",
            "\t",
            "<b>",
            "</b>",
            "<v Mayor>",
            "</v>",
            ">>",
            "Mayor Lee:",
            "<c.yellow>",
            "<i>",
            "&#1;",
            "- ",
        ]
    ),
    max_size=20,
).map("".join)


@st.composite
def generated_file(draw) -> bytes:
    header = draw(
        st.sampled_from(["WEBVTT\n\n", "\ufeffWEBVTT\n\n", "", "WEBVTT - title\nKind: captions\n\n"])
    )
    parts = [header]
    for number in range(draw(st.integers(0, 30))):
        if draw(st.booleans()):
            parts.append(f"{number + 1}\n")
        parts.append(f"{draw(timing)} --> {draw(timing)}\n{draw(cue_text)}\n\n")
    text = "".join(parts)
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "cp1252", "utf-8-sig"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(generated_file())
def test_generated_caption_files_with_odd_times_and_tags_parse_or_are_refused_clearly(data):
    parse_or_refuse(data, "generated.vtt")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_break_the_parser(data):
    parse_or_refuse(data, "random.bin")
