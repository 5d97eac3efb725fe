"""Thousands of random and mutated inputs: the parser returns a sound Transcript or raises TranscriptError."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcripts import Transcript, TranscriptError, parse_bytes

# A whole tag such as <b>, </font> or <c.colorE5E5E5>. (A "<" left open in one cue and a ">" in a later one
# may meet in a segment's text; that is text, not markup.)
MARKUP = re.compile(r"</?[A-Za-z][^<>\s]*>")
TOKENS = [
    "WEBVTT", "WEBVTT - title", "\n", "\n\n", "\r\n", "\r", " ", "-->", " --> ", "->", "00:00:01.000", "00:01.5",
    "00:00:02,500", "99:59:59.999", "1:02:03.4", "00:61:00.000", "123456789:00:00.000", "1", "2", "NOTE", "STYLE",
    "REGION", "::cue { color: red }", "Kind: chapters", "Kind: metadata", "Language: en", "<v Ana>", "<v.loud B>",
    "</v>", "<c>", "</c>", "<c.colorE5E5E5>", "<00:00:01.500>", "<b>", "</i>", "<", ">", ">>", ">>> ", "- ", "Ana: ",
    "Note: ", "{\\an8}", "{", "\\N", "&amp;", "&lt;", "&nbsp;", "&lrm;", "&", "&#0;", "\ufeff", "\u200e", "\x00",
    "words", "the mayor said", "sprite.webp#xywh=0,0,1,1", "https://x.y/z.png", '{"a": 1}', "align:start",
    "position:10%", "ÄÖ", "日本語", "مرحبا", ".", "?", "...", ":",
]  # fmt: skip


def caption_like_text():
    return st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


def check_sound(transcript: Transcript, data: bytes = b"") -> None:
    """What every consumer relies on: valid kinds, monotonic times, marks inside the text, no markup
    (unless the file holds character references: ``&lt;b>`` or ``<&lrm;b>`` is text that reads as a tag)."""
    literal_brackets = b"&" in data
    assert isinstance(transcript, Transcript)
    assert transcript.kind in ("captions", "chapters")
    assert bool(transcript.segments) != bool(transcript.chapters)
    previous = 0.0
    for segment in transcript.segments:
        assert segment.text and segment.text == segment.text.strip()
        assert segment.start >= previous and segment.end >= segment.start
        previous = segment.start
        assert segment.marks[0] == (0, segment.start) or segment.marks[0].offset == 0
        offsets = [m.offset for m in segment.marks]
        assert offsets == sorted(set(offsets)) and offsets[-1] < len(segment.text)
        assert [m.time for m in segment.marks] == sorted(m.time for m in segment.marks)
        assert literal_brackets or not MARKUP.search(segment.text)
    for chapter in transcript.chapters:
        assert chapter.title


def parse_or_refuse(data: bytes) -> None:
    try:
        transcript = parse_bytes(data, "fuzz.vtt")
    except TranscriptError as error:
        assert str(error).startswith("fuzz.vtt") and "\n" not in str(error)
    else:
        check_sound(transcript, data)


@settings(max_examples=2000, deadline=None)
@given(caption_like_text())
def test_caption_like_strings(text: str):
    parse_or_refuse(text.encode("utf-8"))


@settings(max_examples=1500, deadline=None)
@given(st.text(max_size=300))
def test_any_unicode_text(text: str):
    parse_or_refuse(text.encode("utf-8", errors="surrogatepass"))
    parse_or_refuse(
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + text).encode("utf-8", errors="surrogatepass")
    )


@settings(max_examples=1500, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes(data: bytes):
    parse_or_refuse(data)
    parse_or_refuse(b"\xff\xfe" + data)


@settings(max_examples=500, deadline=None)
@given(caption_like_text(), st.sampled_from(["utf-16", "utf-16-le", "cp1252", "latin-1", "utf-8-sig"]))
def test_caption_like_strings_in_other_encodings(text: str, codec: str):
    parse_or_refuse(text.encode(codec, errors="replace"))


SEED_BYTES = 6000


def seeds(corpus_dir: Path) -> list[bytes]:
    """The start of every real caption file, cut at a line end so that the seed itself is well formed."""
    result = []
    for path in sorted((corpus_dir / "captions").iterdir()):
        data = path.read_bytes()
        if len(data) > SEED_BYTES:
            data = data[: data.rfind(b"\n", 0, SEED_BYTES) + 1]
        result.append(data)
    return result


mutation = st.tuples(
    st.sampled_from(["insert", "delete", "byte"]),
    st.floats(0, 1),
    st.sampled_from(TOKENS),
    st.integers(0, 255),
    st.integers(1, 80),
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_real_files(corpus: Path, data):
    pool = _seed_cache(corpus)
    original = bytearray(data.draw(st.sampled_from(pool)))
    for kind, where, token, byte, length in data.draw(st.lists(mutation, min_size=1, max_size=8)):
        position = int(where * len(original))
        if kind == "insert":
            original[position:position] = token.encode("utf-8")
        elif kind == "delete":
            del original[position : position + length]
        else:
            original[position:position] = bytes([byte])
    parse_or_refuse(bytes(original))


_SEEDS: dict[Path, list[bytes]] = {}


def _seed_cache(corpus: Path) -> list[bytes]:
    if corpus not in _SEEDS:
        _SEEDS[corpus] = seeds(corpus)
    return _SEEDS[corpus]


@pytest.mark.parametrize("cut", [0, 1, 7, 50, 400])
def test_every_real_file_cut_short_still_parses_or_refuses(corpus: Path, cut: int):
    for data in _seed_cache(corpus):
        parse_or_refuse(data[: len(data) - cut] if cut < len(data) else b"")
