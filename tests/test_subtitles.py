"""Subtitle cues from segments: two lines of 42 characters at most, 7 s at most, nothing lost, speakers kept;
and automatic-caption paragraphs that break at pauses and stay under ~20 s."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
import webvtt

from transcripts import Mark, Segment, parse_file, subtitle_cues, subtitles_srt, subtitles_vtt
from transcripts.errors import TranscriptError

YOUTUBE_AUTO = "youtube-auto_fomc-press-conference-2021-11-03.en.vtt"


def speech_files(corpus: Path) -> list[Path]:
    """Every corpus caption file with speech in it (chapters and thumbnail tracks have none)."""
    found = []
    for path in sorted((corpus / "captions").iterdir()):
        try:
            if parse_file(path).segments:
                found.append(path)
        except TranscriptError:
            continue
    return found


def words(text: str) -> list[str]:
    return text.split()


def assert_subtitle_grade(cues) -> None:
    for start, end, lines in cues:
        assert 1 <= len(lines) <= 2, (start, lines)
        assert all(len(line) <= 42 or " " not in line for line in lines), (start, lines)
        assert 0 < end - start <= 7.0005, (start, end, lines)


def test_every_corpus_file_gives_subtitle_grade_cues_that_lose_no_word(corpus: Path):
    files = speech_files(corpus)
    assert len(files) >= 20
    for path in files:
        segments = parse_file(path).segments
        cues = subtitle_cues(segments)
        assert_subtitle_grade((c.start, c.end, c.lines) for c in cues)
        assert words(" ".join(" ".join(c.lines) for c in cues)) == words(" ".join(s.text for s in segments))
        assert all(b.start >= a.end - 0.0005 for a, b in zip(cues, cues[1:], strict=False)), path.name


@pytest.mark.parametrize("fmt", ["vtt", "srt"])
def test_exports_parse_back_with_webvtt_py_and_keep_the_rule(corpus: Path, fmt: str):
    for path in speech_files(corpus):
        segments = parse_file(path).segments
        body = subtitles_vtt(segments) if fmt == "vtt" else subtitles_srt(segments)
        captions = webvtt.from_buffer(io.StringIO(body), format=fmt).captions
        assert len(captions) == len(subtitle_cues(segments, labels=fmt == "srt")), path.name
        shown = []
        for caption in captions:
            lines = [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in caption.raw_text.split("\n")]
            shown.extend(lines)
            start, end = (t.in_milliseconds() / 1000 for t in (caption.start_time, caption.end_time))
            assert_subtitle_grade([(start, end, lines)])
        said = " ".join(s.text for s in segments)
        if fmt == "vtt":
            assert words(" ".join(shown)) == words(said), path.name


def test_speaker_changes_start_a_new_cue_and_srt_labels_each_turn():
    segments = (
        Segment(0.0, 4.0, "Good morning.", "Mayor Ada Quill", (Mark(0, 0.0),)),
        Segment(4.0, 6.0, "Thank you.", "Chief Bo", (Mark(0, 4.0),)),
        Segment(6.0, 9.0, "And welcome.", "Chief Bo", (Mark(0, 6.0),)),
    )
    cues = subtitle_cues(segments)
    assert [(c.lines, c.speaker) for c in cues] == [
        (("Good morning.",), "Mayor Ada Quill"),
        (("Thank you.",), "Chief Bo"),
        (("And welcome.",), "Chief Bo"),
    ]
    srt = subtitles_srt(segments)
    assert "Mayor Ada Quill: Good morning." in srt and "Chief Bo: Thank you." in srt
    assert "\nAnd welcome." in srt  # the same speaker carrying on is not labelled again
    assert "<v Chief Bo>Thank you.</v>" in subtitles_vtt(segments)


def test_word_times_are_followed_and_long_text_is_split_by_time_and_lines():
    text = " ".join(f"word{i:02d}" for i in range(40))
    marks = tuple(Mark(i * 7, i * 0.5) for i in range(40))  # a word every half second
    cues = subtitle_cues([Segment(0.0, 20.0, text, None, marks)])
    assert_subtitle_grade((c.start, c.end, c.lines) for c in cues)
    assert cues[1].start == pytest.approx(cues[0].end + 0.001)  # back to back, a millisecond apart
    first_of_second = int(cues[1].lines[0].split()[0].removeprefix("word"))
    assert cues[1].start == pytest.approx(first_of_second * 0.5)


def test_a_word_longer_than_a_line_gets_a_line_of_its_own():
    url = "https://example.org/" + "x" * 60
    cues = subtitle_cues([Segment(0.0, 6.0, f"see {url} now", None, (Mark(0, 0.0),))])
    assert [c.lines for c in cues] == [("see",), (url,), ("now",)]


def test_automatic_caption_paragraphs_break_at_pauses_and_stay_under_20_seconds(corpus: Path):
    segments = parse_file(corpus / "captions" / YOUTUBE_AUTO).segments
    spans = [s.end - s.start for s in segments]
    assert max(spans) <= 20.5
    assert sorted(spans)[len(spans) // 2] < 16  # not all cut by the span limit: pauses cut most
    assert segments[0].text.endswith("maximum employment and price stability")
    assert segments[1].text.startswith("today the fomc")
