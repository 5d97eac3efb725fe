"""Exports: WebVTT, SRT, text and JSON that read back (through webvtt-py and through our own parser)."""

from __future__ import annotations

import html
import io
import json
import re
from collections import namedtuple
from pathlib import Path

import pytest
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from transcripts import Segment, parse_bytes, parse_file, to_json, to_srt, to_txt, to_vtt

ROUND_TRIP_FILES = [
    "teams_example-interview_voice-tags.vtt",
    "edge_vttjs-talk-voice-spans-no-hours.vtt",
    "oakland-city-council-2022-08-09.vtt",
    "srt_scipy2020-talk-pyhf_bom.srt",
    "edge_srt-capability-tester_html-tags-ass-positioning_crlf.srt",
    "edge_vttjs-html-entities.vtt",
    "manual_elephants-dream-film.ar-rtl.vtt",
    "youtube-auto_fomc-press-conference-2021-11-03.en.vtt",
    "zoom_teacher-chemistry-lesson-31m.vtt",
]
# What the catalog hands back: any object with .start .end .text .speaker will do.
StoredSegment = namedtuple("StoredSegment", "start end text speaker")


def joined(segments) -> str:
    return " ".join(segment.text for segment in segments)


def webvtt_voice_and_text(caption) -> tuple[str | None, str]:
    raw = caption.raw_text
    match = re.fullmatch(r"<v ([^>]*)>(.*)</v>", raw, re.DOTALL)
    voice, text = (match.group(1), match.group(2)) if match else (None, raw)
    return (html.unescape(voice) if voice else None), html.unescape(text)


@pytest.mark.parametrize("name", ROUND_TRIP_FILES)
def test_vtt_export_reads_back_the_same_through_webvtt_py_and_our_parser(corpus: Path, name: str):
    segments = parse_file(corpus / "captions" / name).segments
    exported = to_vtt(segments, title="Council meeting\n<draft> & notes")
    assert exported.startswith("WEBVTT - Council meeting <draft> & notes\n\n")
    captions = webvtt.from_string(exported).captions
    assert len(captions) == len(segments)
    for caption, segment in zip(captions, segments, strict=True):
        assert webvtt_voice_and_text(caption) in (
            (segment.speaker, segment.text),
            (None, f"- {segment.text}"),
        )
        assert caption.start_time.in_milliseconds() == round(segment.start * 1000)
    again = parse_bytes(exported.encode("utf-8"), "export.vtt")
    assert joined(again.segments) == joined(segments)
    assert set(again.speakers) == set(s.speaker for s in segments if s.speaker)


@pytest.mark.parametrize("name", ROUND_TRIP_FILES)
def test_srt_export_reads_back_the_same_through_webvtt_py_and_our_parser(corpus: Path, name: str):
    segments = parse_file(corpus / "captions" / name).segments
    exported = to_srt(segments)
    captions = webvtt.from_buffer(io.StringIO(exported), format="srt").captions
    assert len(captions) == len(segments)
    previous = None
    for caption, segment in zip(captions, segments, strict=True):
        label = f"{segment.speaker}: " if segment.speaker else "- " if previous and previous.speaker else ""
        assert html.unescape(caption.raw_text) == label + segment.text
        previous = segment
    again = parse_bytes(exported.encode("utf-8"), "export.srt")
    assert again.format == "srt"
    if all(s.speaker for s in segments) or not any(s.speaker for s in segments):
        assert joined(again.segments) == joined(segments)


def test_markup_in_text_is_escaped_never_emitted():
    segments = [
        StoredSegment(1.0, 2.5, "AT&T said <b>3 < 4</b> --> done & &amp; dusted", "Ana <Chair>"),
        StoredSegment(3.0, 3.0, "zero length, unnamed", None),
    ]
    exported = to_vtt(segments)
    assert exported.split("\n\n")[1:] == [
        "00:00:01.000 --> 00:00:02.500\n"
        "<v Ana &lt;Chair&gt;>AT&amp;T said &lt;b&gt;3 &lt; 4&lt;/b&gt; --&gt; done &amp; &amp;amp; dusted</v>",
        "00:00:03.000 --> 00:00:03.001\n- zero length, unnamed\n",
    ]
    back = parse_bytes(exported.encode(), "x.vtt")
    assert [(s.speaker, s.text) for s in back.segments] == [
        ("Ana <Chair>", "AT&T said <b>3 < 4</b> --> done & &amp; dusted"),
        (None, "zero length, unnamed"),
    ]
    srt = to_srt(segments)
    assert "<b>" not in srt and "AT&T said &lt;b>3 < 4&lt;/b> --&gt; done & &amp;amp; dusted" in srt
    assert "00:00:03,000 --> 00:00:03,001\n- zero length, unnamed" in srt
    back = parse_bytes(srt.encode(), "x.srt")
    assert [s.text for s in back.segments] == [
        "Ana <Chair>: AT&T said <b>3 < 4</b> --> done & &amp; dusted",  # one label is not a Zoom file
        "zero length, unnamed",
    ]


def test_text_export_is_readable_with_times_and_speakers():
    segments = [
        StoredSegment(5.2, 9.0, "Good morning.", "Mayor Ruiz"),
        StoredSegment(3723.9, 3730, "Thanks.", None),
    ]
    assert to_txt(segments, title="Winter Meeting") == (
        "Winter Meeting\n\n[00:00:05] Mayor Ruiz: Good morning.\n[01:02:03] Thanks.\n"
    )
    assert to_txt([]) == "\n"


def test_json_export_holds_times_speakers_text_and_meta():
    segments = [Segment(1.5, 4.0, "Hello «mayors»", "Ana"), StoredSegment(4.0, 6.0, "bye", None)]
    document = json.loads(to_json(segments, meta={"session_id": 7, "title": "Q&A"}))
    assert document == {
        "meta": {"session_id": 7, "title": "Q&A"},
        "segments": [
            {"start": 1.5, "end": 4.0, "speaker": "Ana", "text": "Hello «mayors»"},
            {"start": 4.0, "end": 6.0, "speaker": None, "text": "bye"},
        ],
    }
    assert "«mayors»" in to_json(segments)  # UTF-8, not \\u escapes


def test_empty_exports_are_still_valid_files():
    assert webvtt.from_string(to_vtt([])).captions == []
    assert to_srt([]) == ""
    assert json.loads(to_json([])) == {"meta": {}, "segments": []}


spoken_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=80
).map(lambda text: " ".join(text.split()))
names = st.one_of(st.none(), st.sampled_from(["Mayor Ana Ruiz", "Dr. Lee", "O'Brien", "Ana <Chair> & Co"]))


@st.composite
def exportable_segments(draw, text=spoken_text):
    texts = draw(st.lists(text.filter(bool), min_size=1, max_size=8))
    gaps = draw(st.lists(st.floats(0, 50, allow_nan=False), min_size=len(texts), max_size=len(texts)))
    segments, clock = [], 0.0
    for body, gap in zip(texts, gaps, strict=True):
        start = round(clock + gap, 3)
        clock = start + 2.0
        segments.append(StoredSegment(start, clock, body, draw(names)))
    return segments


@settings(max_examples=300, deadline=None)
@given(exportable_segments())
def test_any_text_round_trips_through_webvtt_py(segments):
    captions = webvtt.from_string(to_vtt(segments, title="x")).captions
    turns = ["- " if not s.speaker and i and segments[i - 1].speaker else "" for i, s in enumerate(segments)]
    assert [webvtt_voice_and_text(c) for c in captions] == [
        (s.speaker, turn + s.text) for s, turn in zip(segments, turns, strict=True)
    ]
    srt = webvtt.from_buffer(io.StringIO(to_srt(segments)), format="srt").captions
    assert len(srt) == len(segments)


plain_words = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ,.?!'\"&;<%$()]{0,60}", fullmatch=True).map(
    lambda text: " ".join(text.split())
)


@settings(max_examples=300, deadline=None)
@given(exportable_segments(text=plain_words))
def test_plain_speech_round_trips_through_our_parser(segments):
    back = parse_bytes(to_vtt(segments).encode(), "export.vtt")
    assert joined(back.segments) == joined(segments)
    assert [m.time for s in back.segments for m in s.marks][0] == segments[0].start
