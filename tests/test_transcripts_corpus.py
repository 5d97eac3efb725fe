"""Every real caption file in the shared corpus, parsed: concrete facts a user of the archive would notice."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from transcripts import NotCaptionsError, Transcript, TranscriptError, parse_file

MARKUP = re.compile(r"<[A-Za-z/][^<>]*>|\{\\|&(?:amp|lt|gt|nbsp|lrm|rlm|quot|#\d+);")
THUMBNAILS = "edge_thumbnail-sprite-track_no-hours.vtt"
CHAPTERS = "chapters_elephants-dream_note-header.vtt"
YOUTUBE_AUTO = "youtube-auto_fomc-press-conference-2021-11-03.en.vtt"


def caption_files() -> list[str]:
    from conftest import corpus_path

    folder = corpus_path() / "captions"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else ["(corpus absent)"]


@pytest.fixture(scope="module")
def parsed(corpus: Path) -> dict[str, Transcript]:
    results = {}
    for path in sorted((corpus / "captions").iterdir()):
        if path.name != THUMBNAILS:
            results[path.name] = parse_file(path)
    return results


def text_of(transcript: Transcript) -> str:
    return " ".join(segment.text for segment in transcript.segments)


@pytest.mark.parametrize("name", caption_files())
def test_every_caption_file_parses_into_clean_monotonic_segments(corpus: Path, name: str):
    path = corpus / "captions" / name
    if name == THUMBNAILS:
        with pytest.raises(NotCaptionsError):
            parse_file(path)
        return
    transcript = parse_file(path)
    if name == CHAPTERS:
        assert transcript.kind == "chapters" and transcript.chapters and not transcript.segments
        return
    assert transcript.kind == "captions" and transcript.segments
    previous_start = 0.0
    for segment in transcript.segments:
        assert segment.text and segment.text == segment.text.strip() and "  " not in segment.text
        assert not MARKUP.search(segment.text), segment.text
        assert segment.start >= previous_start and segment.end > segment.start
        previous_start = segment.start
        assert segment.end - segment.start <= 30.5 or len(segment.marks) == 1, segment
        assert segment.marks[0].offset == 0 and segment.marks[0].time == segment.start
        offsets = [mark.offset for mark in segment.marks]
        times = [mark.time for mark in segment.marks]
        assert offsets == sorted(set(offsets)) and offsets[-1] < len(segment.text)
        assert times == sorted(times) and times[-1] <= segment.end
    for earlier, later in zip(transcript.segments, transcript.segments[1:], strict=False):
        assert earlier.end <= later.start or earlier.start == later.start


def test_thumbnail_track_is_refused_with_a_clear_message(corpus: Path):
    with pytest.raises(NotCaptionsError) as caught:
        parse_file(corpus / "captions" / THUMBNAILS)
    message = str(caught.value)
    assert THUMBNAILS in message and "thumbnail" in message and "not captions" in message
    assert "sprite.webp#xywh=" in message


def test_chapters_track_becomes_chapters(parsed):
    transcript = parsed[CHAPTERS]
    titles = [chapter.title for chapter in transcript.chapters]
    assert titles[0] == "Prologue" and titles[-1] == "Closing credits" and len(titles) == 9
    assert "Telephone/Lecture" in titles
    assert [c.start for c in transcript.chapters[:3]] == [0.0, 27.5, 70.0]
    assert transcript.chapters[-1].end == 653.0


def test_teams_voice_tags_give_speakers_and_turns(parsed):
    transcript = parsed["teams_example-interview_voice-tags.vtt"]
    assert transcript.speakers == ("John Smith", "Jane Doe")
    first, second = transcript.segments[:2]
    assert (first.speaker, first.text) == ("John Smith", "Hello, I am the interviewer.")
    assert second.speaker == "Jane Doe"
    assert second.text == "Nice. I am the student being interviewed, and I have many things to say."


def test_several_voices_in_one_cue_are_separate_turns(parsed):
    transcript = parsed["edge_vttjs-talk-voice-spans-no-hours.vtt"]
    assert set(transcript.speakers) == {"Kyle Huey", "Chris Pearce"}
    okay = next(s for s in transcript.segments if s.text.startswith("Okay, we're good now."))
    following = transcript.segments[transcript.segments.index(okay) + 1]
    assert okay.speaker == "Chris Pearce" and okay.text == "Okay, we're good now."
    assert following.speaker == "Kyle Huey" and following.text.startswith("Oh, now we're good?")
    assert okay.start == following.start == 4.0


def test_voice_on_first_cue_carries_on_until_the_next_voice(parsed):
    transcript = parsed["manual_uw-it-accessibility-video_voice-tags.en.vtt"]
    assert transcript.speakers[0] == "Michael Young" and len(transcript.speakers) >= 5
    assert all(s.speaker for s in transcript.segments)
    wwa = parsed["edge_wwa-header-metadata-note-empty-cue.en.vtt"]
    assert {"Narrator", "Terrill"} <= set(wwa.speakers)
    assert wwa.language == "en"
    assert "This VTT file includes" not in text_of(wwa)


def test_zoom_names_become_speakers_and_leave_the_text(parsed):
    transcript = parsed["zoom_teacher-chemistry-lesson-31m.vtt"]
    assert transcript.speakers == ("Caleob King",)
    assert not any("Caleob King:" in s.text for s in transcript.segments)
    assert transcript.segments[0].text.startswith("Hello, everybody, I hope you're doing all right.")


def test_broadcast_turn_markers_start_new_unnamed_turns(parsed):
    oakland = parsed["oakland-city-council-2022-08-09.vtt"]
    texts = [s.text for s in oakland.segments]
    assert ">>" not in text_of(oakland) and oakland.speakers == ()
    assert texts[:3] == [
        "successor agency/city council.",
        "good morning, welcome to to special concurrent of the oakland redevelopment successor agency of "
        "tuesday AUGUST 9, we will begin with a roll call, councilmember fife?",
        "present.",
    ]
    assert texts[2:5] == ["present.", "councilmember gallo?", "present."]  # each answer is its own turn
    assert texts[-1].endswith("Love life.")


def test_bom_positioned_all_caps_captions_keep_their_case_and_lose_entities(parsed):
    seattle = parsed["seattle-council-briefing-2021-08-02_bom-positioned.vtt"]
    first = seattle.segments[0].text
    assert first == "GOOD MORNING EVERYONE. THE AUGUST 2nd, 2021 COUNCIL BRIEFING MEETING WILL COME TO ORDER."
    assert "&gt;" not in text_of(seattle) and ">" not in text_of(seattle)
    assert "align:start" not in text_of(seattle)


def test_srt_dash_turns_bom_and_crlf(parsed):
    scipy = parsed["srt_scipy2020-talk-pyhf_bom.srt"]
    assert scipy.format == "srt"
    assert scipy.segments[0].text.startswith("Hi, I'm Matthew Feickert. I'm a particle physicist")
    assert not any(s.text.startswith("-") for s in scipy.segments)
    assert "\r" not in text_of(scipy) and "\ufeff" not in text_of(scipy)


def test_srt_torture_file_keeps_text_and_drops_markup(parsed):
    tester = parsed["edge_srt-capability-tester_html-tags-ass-positioning_crlf.srt"]
    text = text_of(tester)
    for kept in (
        "This text should be blue",
        "This should be an E with an accent: È 日本語",
        "hide invalid html tags that are closed and show the text in them",
        "2<3,5>1,4<6",
        "This could be the most difficult thing to implement",
        "but show this: {normal text}",
        "This text should be at the top and horizontally centered",
    ):
        assert kept in text
    for dropped in ("Don't show this text", "Hidden", "an8", "<font", "some_letters_or_numbers"):
        assert dropped not in text
    assert text.count("First text") == 1 and text.count("Sixth, it shouldn't be showed overlapped") == 1


def test_srt_encodings_and_missing_index_lines(parsed):
    utf16 = parsed["edge_srt-utf16le-bom.srt"]
    no_index = parsed["edge_srt-no-indexes_bom.srt"]
    quote = "About 2 months ago I found myself on the comment section of YouTube"
    assert quote in text_of(utf16) and quote in text_of(no_index)
    assert text_of(utf16).startswith("About 2 months ago")
    assert text_of(utf16) == text_of(no_index)


def test_overlapping_srt_cues_lose_and_double_nothing(corpus: Path, parsed):
    raw = (corpus / "captions" / "srt_user2021-talk-carpentries_overlapping-cues.srt").read_text("utf-8")
    spoken = [
        line for line in raw.splitlines() if line.strip() and "-->" not in line and not line.strip().isdigit()
    ]
    words = " ".join(spoken).split()
    stored = text_of(parsed["srt_user2021-talk-carpentries_overlapping-cues.srt"]).split()
    assert stored == words


def test_entities_are_decoded_and_broken_ones_left_readable(parsed):
    transcript = parsed["edge_vttjs-html-entities.vtt"]
    assert transcript.segments[0].text == "Some text < &> < &nb &am< &lr other stuff."


def test_header_blocks_and_cue_ids_are_not_text(parsed):
    assert "NOTE" not in text_of(parsed["edge_note-blocks-header-text.vtt"])
    assert "Det är inte varmt." in text_of(parsed["edge_note-blocks-header-text.vtt"])
    style = parsed["edge_style-blocks.vtt"]
    assert text_of(style) == "Hello world." and "::cue" not in text_of(style)
    multilingual = parsed["edge_vttjs-multilingual-cue-id.vtt"]
    assert "coruscante" not in text_of(multilingual)
    regions = text_of(parsed["edge_vttjs-legacy-region-headers.vtt"])
    assert "Region:" not in regions and "region:fred" not in regions
    for line in ("Hi, my name is Fred", "Hi, I'm Bill", "This is my fourth!", "OK, let's go."):
        assert regions.count(line) == 1


def test_arabic_right_to_left_text_is_kept(parsed):
    arabic = parsed["manual_elephants-dream-film.ar-rtl.vtt"]
    letters = [c for c in text_of(arabic) if c.isalpha()]
    assert letters and sum("\u0600" <= c <= "\u06ff" for c in letters) / len(letters) > 0.95


def test_youtube_manual_track_is_one_sentence_across_two_cues(parsed):
    gbif = parsed["youtube-manual_gbif-test-2cues.en.vtt"]
    assert gbif.language == "en" and len(gbif.segments) == 1
    assert "It is a test of CrowdIn, to see if we can translate training videos in this way." in text_of(gbif)


def test_legacy_youtube_dl_layout_keeps_each_word_once(parsed):
    legacy = parsed["edge_youtube-dl-legacy-style-header.vtt"]
    assert text_of(legacy) == "yeah what this will happen is I'm telling"
    segment = legacy.segments[0]
    assert segment.time_at(segment.text.index("happen")) == pytest.approx(304.379)


def youtube_spoken_words(raw: str) -> list[str]:
    """The words actually spoken, counted independently of the parser: YouTube puts each new line once at the
    bottom of a real (not 10 ms carry) cue; the line above it and the carry cues only repeat."""
    words = []
    for block in raw.split("\n\n"):
        lines = block.strip("\n").split("\n")
        if not lines or "-->" not in lines[0]:
            continue
        start, end = (_seconds(stamp) for stamp in re.findall(r"\d+:\d\d:\d\d\.\d{3}", lines[0])[:2])
        if end - start > 0.02:
            words.extend(re.sub(r"<[^>]*>", "", lines[-1]).split())
    return words


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_youtube_auto_captions_hold_each_spoken_word_once(corpus: Path, parsed):
    raw = (corpus / "captions" / YOUTUBE_AUTO).read_text("utf-8")
    spoken = youtube_spoken_words(raw)
    stored = text_of(parsed[YOUTUBE_AUTO]).split()
    assert len(spoken) > 9000
    assert abs(len(stored) - len(spoken)) <= 0.03 * len(spoken)
    assert len(raw.split()) > 2.5 * len(stored)  # the raw file really repeats every line
    repeats = sum(1 for i in range(len(stored) - 5) if stored[i : i + 3] == stored[i + 3 : i + 6])
    assert repeats <= 0.005 * len(stored)


def test_youtube_auto_captions_keep_a_mark_per_word(parsed):
    transcript = parsed[YOUTUBE_AUTO]
    words = sum(len(s.text.split()) for s in transcript.segments)
    marks = sum(len(s.marks) for s in transcript.segments)
    assert marks >= 0.95 * words
    segment = next(s for s in transcript.segments if "strongly committed to achieving" in s.text)
    assert segment.time_at(segment.text.index("achieving")) == pytest.approx(7.919)
    assert segment.time_at(segment.text.index("committed")) == pytest.approx(7.359)


# (file, a quote of 5+ words as the raw file has it, the time its first word is spoken there)
QUOTES = [
    ("teams_example-interview_voice-tags.vtt", "I am the student being interviewed, and I have many", 13.130),
    ("manual_uw-it-accessibility-video_voice-tags.en.vtt",
     "that everyone should have an opportunity to participate in higher education", 0.599),  # two cues
    ("srt_scipy2020-talk-pyhf_bom.srt", "I'm a particle physicist and I'm a postdoc at the University of", 5.160),
    ("srt_user2021-talk-carpentries_overlapping-cues.srt",
     "my name is Zhian Kamvar and I'm the Lesson Infrastructure Technology", 3.040),  # two cues
    ("oakland-city-council-2022-08-09.vtt", "welcome to to special concurrent of the oakland", 148.168),
    ("zoom_teacher-chemistry-lesson-31m.vtt", "We are continuing to talk about the mole.", 18.900),
    ("seattle-council-briefing-2021-08-02_bom-positioned.vtt",
     "GOOD MORNING EVERYONE. THE AUGUST 2nd, 2021 COUNCIL", 5.872),  # two cues
    ("edge_vttjs-talk-voice-spans-no-hours.vtt", "I'm going to talk a bit about the cycle collector", 6.0),
    (YOUTUBE_AUTO, "at the federal reserve we are strongly committed to achieving", 5.440),  # two lines
    (YOUTUBE_AUTO, "strongly committed to achieving the monetary policy goals", 6.879),
    (YOUTUBE_AUTO, "congress has given us maximum employment and price stability", 10.0),
]  # fmt: skip


@pytest.mark.parametrize(("name", "quote", "spoken_at"), QUOTES)
def test_a_quote_is_in_one_segment_and_seeks_to_its_first_word(corpus, parsed, name, quote, spoken_at):
    raw = re.sub(r"<[^>]*>", "", (corpus / "captions" / name).read_bytes().decode("utf-8-sig"))
    assert quote.split()[0] in raw  # the quote really is in the file (first word at least)
    holders = [s for s in parsed[name].segments if quote in s.text]
    assert len(holders) == 1, f"{quote!r} not in exactly one segment"
    segment = holders[0]
    at = segment.time_at(segment.text.index(quote))
    assert spoken_at - 20 <= at <= spoken_at + 0.0005


def test_a_three_hour_file_of_3000_cues_parses_fast(tmp_path: Path):
    lines = ["WEBVTT", ""]
    for n in range(3000):
        start = n * 3.6
        lines += [
            str(n + 1),
            f"{_clock(start)} --> {_clock(start + 3.5)}",
            f"<v Mayor {n % 7}>Line {n} of the",
            "meeting continues here.",
            "",
        ]
    path = tmp_path / "three-hours.vtt"
    path.write_text("\n".join(lines), "utf-8")
    # 0.25-0.29 CPU s on this project's 2-core EPYC VMs with nothing else running (0.320 s once in the suite): the
    # budget leaves room for that machine and still fails at twice the usual upper figure
    best = min(_timed(lambda: parse_file(path)) for _ in range(5))
    assert best < 0.5, f"{best:.3f} s"
    assert parse_file(path).duration == pytest.approx(2999 * 3.6 + 3.5)


def test_the_real_youtube_file_parses_fast(corpus: Path):
    # 0.21-0.28 CPU s on a 2-core EPYC (over half of it webvtt-py's own parse of 3,269 cues); the budget leaves
    # room for a busy CI machine (0.308 s once, with the disk busy); twice the usual upper figure fails
    best = min(_timed(lambda: parse_file(corpus / "captions" / YOUTUBE_AUTO)) for _ in range(5))
    assert best < 0.5, f"{best:.3f} s"


def _timed(action) -> float:
    """CPU seconds, so that other work on a shared CI machine does not count."""
    started = time.process_time()
    action()
    return time.process_time() - started


def _clock(seconds: float) -> str:
    millis = round(seconds * 1000)
    return (
        f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"
    )


def test_a_missing_file_is_a_transcript_error(tmp_path: Path):
    with pytest.raises(TranscriptError, match="cannot read the file"):
        parse_file(tmp_path / "nope.vtt")
