"""The caption-format registry: one table tells formats apart by content, and every reader and writer is in it."""

from __future__ import annotations

import pytest

from transcripts import CAPTION_FORMATS, EXPORT_FORMATS, Segment, format_of_name, parse_bytes, sniff_format

VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nWelcome to the winter meeting.\n"
SRT = "1\n00:00:01,000 --> 00:00:03,000\nWelcome to the winter meeting.\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (VTT.encode(), "vtt"),
        (b"\xef\xbb\xbf" + VTT.encode(), "vtt"),
        (b"\xff\xfe" + VTT.encode("utf-16-le"), "vtt"),
        (b"\xfe\xff" + SRT.encode("utf-16-be"), "srt"),
        (SRT.encode(), "srt"),
        (b"00:00:01,000 --> 00:00:03,000\nno index line\n", "srt"),
        (b"<html><body>not captions</body></html>", None),
        (b"\x89PNG\r\n\x1a\n", None),
        (b"", None),
    ],
)
def test_sniff_format_tells_captions_by_their_bytes(data, expected):
    assert sniff_format(data) == expected


@pytest.mark.parametrize("fmt", CAPTION_FORMATS, ids=lambda f: f.name)
def test_each_caption_format_reads_what_it_writes(fmt):
    segments = (Segment(1.0, 3.0, "Welcome to the winter meeting."), Segment(3.0, 6.0, "The bond passed."))
    written = fmt.write(segments, title="Winter meeting")
    assert sniff_format(written.encode()) == fmt.name
    transcript = parse_bytes(written.encode(), f"talk.en{fmt.extensions[0]}")
    assert transcript.format == fmt.name
    said = " ".join(s.text for s in transcript.segments)  # cues may merge into longer segments
    assert said == "Welcome to the winter meeting. The bond passed." and transcript.segments[0].start == 1.0
    assert format_of_name(f"TALK.EN{fmt.extensions[0].upper()}") is fmt


def test_every_export_has_a_distinct_name_and_a_media_type():
    names = [f.name for f in EXPORT_FORMATS]
    assert len(names) == len(set(names)) and {"vtt", "srt", "txt", "json"} <= set(names)
    assert all(f.media_type for f in EXPORT_FORMATS)
