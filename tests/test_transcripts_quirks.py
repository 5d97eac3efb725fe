"""Hand-written caption files, one per quirk: what the parser keeps, drops, warns about and refuses."""

from __future__ import annotations

import codecs

import pytest

from transcripts import NotCaptionsError, TranscriptError, parse_bytes


def vtt(*cues: str, header: str = "WEBVTT") -> bytes:
    return ("\n\n".join([header, *cues]) + "\n").encode("utf-8")


def words(transcript) -> str:
    return " ".join(segment.text for segment in transcript.segments)


# --- malformed input: one clear error naming the file and the line --------------------------------------


def test_a_bad_timing_line_is_reported_with_its_line_number_not_dropped():
    data = vtt("00:00:01.000 --> 00:00:02.000\nhello", "00:00:03.000 --> 00:00:4.000x\nlost?")
    data = data.replace(b"00:00:4.000x", b"00:00:04,00O")
    with pytest.raises(TranscriptError) as caught:
        parse_bytes(data, "meeting.vtt")
    assert caught.value.line == 6 and caught.value.source == "meeting.vtt"
    assert str(caught.value).startswith("meeting.vtt, line 6: not a valid cue timing line")


def test_a_timing_line_with_a_short_arrow_is_reported():
    data = vtt("00:00:01.000 --> 00:00:02.000\nhello", "00:00:03.000 -> 00:00:04.000\nworld")
    with pytest.raises(TranscriptError, match=r"line 6: not a valid cue timing line"):
        parse_bytes(data, "x.vtt")


def test_lines_webvtt_py_would_silently_skip_are_reported():
    # two lines before a timing line: webvtt-py keeps the cue but drops the first two lines without a word
    data = vtt(
        "00:00:01.000 --> 00:00:02.000\nhello", "said before\nthe cue\n00:00:03.000 --> 00:00:04.000\nworld"
    )
    transcript = parse_bytes(data, "x.vtt")
    assert words(transcript) == "hello world"
    assert transcript.warnings == ("x.vtt, line 6: text outside any cue ignored: 'said before'",)


def test_minutes_beyond_59_are_an_error_naming_the_line():
    data = b"1\n00:61:00,000 --> 00:62:00,000\nhello\n"
    with pytest.raises(TranscriptError, match=r"x.srt, line 2: minutes and seconds must be below 60"):
        parse_bytes(data, "x.srt")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (codecs.BOM_UTF8, "only a byte-order mark"),
        (codecs.BOM_UTF16_LE, "only a byte-order mark"),
        (b"  \n\r\n\t", "only whitespace"),
        (bytes(range(256)) * 4, "binary data"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"Minutes of the meeting\nThe mayor spoke.\n", "no cues found"),
        (b"WEBVTT\n\nNOTE nothing here\n", "no cues"),
        (
            vtt("00:00:01.000 --> 00:00:02.000\n<b></b>", "00:00:03.000 --> 00:00:03.000\nzero"),
            "no caption text",
        ),
    ],
    ids=[
        "empty",
        "utf8-bom-only",
        "utf16-bom-only",
        "whitespace",
        "binary",
        "png",
        "prose",
        "header-only",
        "blank",
    ],
)
def test_files_without_captions_get_one_clear_error(data: bytes, message: str):
    with pytest.raises(TranscriptError) as caught:
        parse_bytes(data, "upload.vtt")
    assert message in str(caught.value) and str(caught.value).startswith("upload.vtt")
    assert "\n" not in str(caught.value)


def test_cues_with_impossible_times_are_dropped_with_a_warning():
    data = vtt(
        "00:00:01.000 --> 00:00:02.000\nkept",
        "00:00:05.000 --> 00:00:03.000\nbackwards",
        "25:00:00.000 --> 25:00:01.000\ntomorrow",
        "00:00:06.000 --> 00:00:07.000\nalso kept",
    )
    transcript = parse_bytes(data, "x.vtt")
    assert words(transcript) == "kept also kept"
    assert any("line 6: cue ends before it starts; dropped" in w for w in transcript.warnings)
    assert any("line 9: cue time beyond 24 hours; dropped" in w for w in transcript.warnings)


def test_text_outside_any_cue_is_a_warning_not_silently_lost():
    data = vtt("00:00:01.000 --> 00:00:02.000\nhello", "stray words", "00:00:03.000 --> 00:00:04.000\nworld")
    transcript = parse_bytes(data, "x.vtt")
    assert words(transcript) == "hello world"
    assert transcript.warnings == ("x.vtt, line 6: text outside any cue ignored: 'stray words'",)


# --- encodings and line ends -----------------------------------------------------------------------------


def test_cr_only_line_ends():
    data = b"WEBVTT\r\r00:00:01.000 --> 00:00:02.000\rfirst line\rsecond line\r\r00:00:02.000 --> 00:00:03.000\rthird.\r"
    transcript = parse_bytes(data, "mac.vtt")
    assert words(transcript) == "first line second line third."


def test_crlf_srt_with_bom():
    data = (
        codecs.BOM_UTF8
        + b"1\r\n00:00:01,000 --> 00:00:02,500\r\nHello\r\n\r\n2\r\n00:00:02,500 --> 00:00:04,000\r\nthere.\r\n"
    )
    transcript = parse_bytes(data, "x.srt")
    assert transcript.format == "srt" and words(transcript) == "Hello there."
    assert transcript.segments[0].end == 4.0


def test_cp1252_falls_back_with_a_warning():
    data = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nThe café’s “menu” – 5€\n".encode("cp1252")
    transcript = parse_bytes(data, "old.vtt")
    assert words(transcript) == "The café’s “menu” – 5€"
    assert len(transcript.warnings) == 1 and "Windows-1252" in transcript.warnings[0]
    assert "line 4" in transcript.warnings[0]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16"])
def test_utf16_with_and_without_bom(codec: str):
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nŽivjeli, gradonačelnici!\n"
    data = text.encode(codec)
    if codec != "utf-16":
        data = (codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE) + data
    assert words(parse_bytes(data, "x.vtt")) == "Živjeli, gradonačelnici!"
    if codec == "utf-16-le":  # and without the BOM too
        assert words(parse_bytes(text.encode(codec), "x.vtt")) == "Živjeli, gradonačelnici!"


def test_format_is_told_by_content_not_by_name():
    srt = b"1\n00:00:01,000 --> 00:00:02,000\nan SRT named .vtt\n"
    assert parse_bytes(srt, "misnamed.vtt").format == "srt"
    assert parse_bytes(vtt("00:00:01.000 --> 00:00:02.000\nx"), "misnamed.srt").format == "vtt"


# --- speakers ---------------------------------------------------------------------------------------------


def test_zoom_names_when_the_file_uses_them_throughout():
    data = vtt(
        "1\n00:00:01.000 --> 00:00:03.000\nMayor Ana Ruiz: Good morning, everyone.",
        "2\n00:00:03.000 --> 00:00:05.000\nMayor Ana Ruiz: Let us begin.",
        "3\n00:00:05.000 --> 00:00:07.000\nDr. Lee: Thank you, Mayor.",
    )
    transcript = parse_bytes(data, "zoom.vtt")
    assert transcript.speakers == ("Mayor Ana Ruiz", "Dr. Lee")
    assert [s.text for s in transcript.segments] == [
        "Good morning, everyone. Let us begin.",
        "Thank you, Mayor.",
    ]


def test_a_colon_in_ordinary_captions_is_not_a_speaker():
    data = vtt(
        "00:00:01.000 --> 00:00:03.000\nWelcome to the housing webinar.",
        "00:00:03.000 --> 00:00:05.000\nNote: this session is recorded.",
        "00:00:05.000 --> 00:00:07.000\nThe agenda today: zoning, permits,",
        "00:00:07.000 --> 00:00:09.000\nand the time is 9:31 a.m.",
        "00:00:09.000 --> 00:00:11.000\nLet us start.",
    )
    transcript = parse_bytes(data, "x.vtt")
    assert transcript.speakers == ()
    assert "Note: this session is recorded." in words(transcript)
    assert "The agenda today: zoning" in words(transcript)


def test_note_labels_are_never_speakers_even_when_every_cue_has_one():
    data = vtt("00:00:01.000 --> 00:00:02.000\nNote: one", "00:00:02.000 --> 00:00:03.000\nNote: two")
    transcript = parse_bytes(data, "x.vtt")
    assert transcript.speakers == () and words(transcript) == "Note: one Note: two"


def test_broadcast_turns_named_and_unnamed():
    data = vtt(
        "00:00:01.000 --> 00:00:04.000\n>> MAYOR BREED: WE ARE HERE TODAY",
        "00:00:04.000 --> 00:00:06.000\nTO TALK ABOUT HOUSING.",
        "00:00:06.000 --> 00:00:08.000\n&gt;&gt; THANK YOU. >> NEXT QUESTION.",
        "00:00:08.000 --> 00:00:10.000\n>> Mayor London Breed: Thank you. >> So: we begin. >>JUAREZ: Here.",
    )
    transcript = parse_bytes(data, "x.vtt")
    assert [(s.speaker, s.text) for s in transcript.segments] == [
        ("MAYOR BREED", "WE ARE HERE TODAY TO TALK ABOUT HOUSING."),
        (None, "THANK YOU."),
        (None, "NEXT QUESTION."),
        ("Mayor London Breed", "Thank you."),
        (None, "So: we begin."),
        ("JUAREZ", "Here."),
    ]


def test_dash_turns_in_srt():
    data = b"1\n00:00:01,000 --> 00:00:03,000\n- Are you ready?\n- Yes, go ahead.\n\n2\n00:00:03,000 --> 00:00:05,000\nthe budget - all of it - passed.\n"
    transcript = parse_bytes(data, "x.srt")
    assert [s.text for s in transcript.segments] == [
        "Are you ready?",
        "Yes, go ahead. the budget - all of it - passed.",
    ]


def test_a_speaker_change_always_ends_a_segment():
    data = vtt(
        "00:00:01.000 --> 00:00:02.000\n<v Ana>so the",
        "00:00:02.000 --> 00:00:03.000\n<v Ben>plan is",
        "00:00:03.000 --> 00:00:04.000\n<v.loud Ben>ready",
    )
    transcript = parse_bytes(data, "x.vtt")
    assert [(s.speaker, s.text) for s in transcript.segments] == [("Ana", "so the"), ("Ben", "plan is ready")]


# --- cleaning, overlaps, merging --------------------------------------------------------------------------


def test_markup_positioning_and_entities_are_removed():
    data = vtt(
        "00:00:01.000 --> 00:00:02.000 align:start position:10%\n<i>Hello</i> <c.yellow>AT&amp;T</c>&nbsp;&lrm;and <ruby>漢<rt>kan</rt></ruby>",
        '00:00:02.000 --> 00:00:03.000\n{\\an8}<font color="red">3 &lt; 4</font> &amp &bogus; x',
    )
    assert words(parse_bytes(data, "x.vtt")) == "Hello AT&T and 漢kan 3 < 4 & &bogus; x"


def test_note_style_and_region_blocks_are_not_text():
    data = vtt(
        "REGION\nid:fred\nwidth:40%",
        "STYLE\n::cue { color: red }",
        "NOTE a comment\nthat spans lines",
        "00:00:01.000 --> 00:00:02.000 region:fred\nonly this",
        header="WEBVTT - Council meeting\nKind: captions\nLanguage: es",
    )
    transcript = parse_bytes(data, "x.vtt")
    assert words(transcript) == "only this" and transcript.language == "es"


def test_overlapping_cues_keep_every_word_once_and_times_monotonic():
    data = b"""1
00:00:02,240 --> 00:00:04,960
hello

2
00:00:03,040 --> 00:00:06,560
my name is Ana and I'm the

3
00:00:04,960 --> 00:00:08,800
mayor of this city

4
00:00:04,000 --> 00:00:09,000
mayor of this city

5
00:00:01,000 --> 00:00:02,000
earlier words
"""
    transcript = parse_bytes(data, "x.srt")
    assert words(transcript) == "earlier words hello my name is Ana and I'm the mayor of this city"
    starts = [mark.time for segment in transcript.segments for mark in segment.marks]
    assert starts == sorted(starts)


def test_a_phrase_across_two_cues_is_one_segment_with_a_mark_per_cue():
    data = vtt(
        "00:00:10.000 --> 00:00:12.000\nWe will invest in affordable",
        "00:00:12.000 --> 00:00:15.000\nhousing across the region.",
        "00:00:15.000 --> 00:00:21.000\nNext, public safety.",
    )
    first = parse_bytes(data, "x.vtt").segments[0]
    assert first.text == "We will invest in affordable housing across the region."
    assert first.time_at(first.text.index("housing")) == 12.0
    assert first.time_at(first.text.index("affordable housing")) == 10.0


def test_long_unpunctuated_speech_is_cut_near_30_seconds():
    cues = [f"00:00:{n * 2:02d}.000 --> 00:00:{n * 2 + 2:02d}.000\nand we keep talking" for n in range(29)]
    segments = parse_bytes(vtt(*cues), "x.vtt").segments
    assert len(segments) == 2 and all(s.end - s.start <= 30 for s in segments)
    assert sum(len(s.text.split()) for s in segments) == 29 * 4


def test_rolling_youtube_cues_keep_each_word_once_with_word_times():
    data = vtt(
        "00:00:01.000 --> 00:00:03.000 align:start position:0%\n \ngood<00:00:01.500><c> afternoon</c>",
        "00:00:03.000 --> 00:00:03.010 align:start position:0%\ngood afternoon\n ",
        "00:00:03.010 --> 00:00:05.000 align:start position:0%\ngood afternoon\nmayors<00:00:03.400><c> of</c><00:00:03.900><c> america</c>",
        "00:00:05.000 --> 00:00:05.010 align:start position:0%\nmayors of america\n ",
        "00:00:05.010 --> 00:00:06.000 align:start position:0%\nmayors of america\nwelcome",
    )
    transcript = parse_bytes(data, "auto.vtt")
    segment = transcript.segments[0]
    assert segment.text == "good afternoon mayors of america welcome"
    assert segment.time_at(segment.text.index("america")) == 3.9
    assert segment.time_at(segment.text.index("afternoon")) == 1.5
    assert segment.time_at(segment.text.index("welcome")) == 5.01


def test_chapters_by_header_and_metadata_tracks_refused():
    chapters = parse_bytes(
        vtt("00:00:00.000 --> 00:01:00.000\nOpening", header="WEBVTT\nKind: chapters"), "c.vtt"
    )
    assert chapters.kind == "chapters" and chapters.chapters[0].title == "Opening"
    with pytest.raises(NotCaptionsError, match="metadata track"):
        parse_bytes(vtt("00:00:00.000 --> 00:01:00.000\nhello", header="WEBVTT\nKind: metadata"), "m.vtt")
    json_track = vtt(*(f'00:00:0{n}.000 --> 00:00:0{n + 1}.000\n{{"slide": {n}}}' for n in range(3)))
    with pytest.raises(NotCaptionsError, match="not captions"):
        parse_bytes(json_track, "j.vtt")


def test_bracketed_sound_captions_are_captions_not_json():
    data = vtt(
        *(
            f"00:00:0{n}.000 --> 00:00:0{n + 1}.000\n[{label}]"
            for n, label in enumerate(["Music", "Applause", "Music"])
        )
    )
    assert words(parse_bytes(data, "x.vtt")) == "[Music] [Applause] [Music]"


def test_short_sparse_captions_are_not_mistaken_for_chapters():
    data = vtt(
        "00:00:00.000 --> 00:00:20.000\nHi, my name is Fred",
        "00:00:02.500 --> 00:00:22.500\nHi, I'm Bill",
        "00:00:05.000 --> 00:00:25.000\nWould you like to get a coffee?",
    )
    assert parse_bytes(data, "x.vtt").kind == "captions"


def test_language_from_argument_header_or_name():
    data = vtt("00:00:01.000 --> 00:00:02.000\nhola")
    assert parse_bytes(data, "session.es.vtt").language == "es"
    assert parse_bytes(data, "session.vtt").language is None
    assert parse_bytes(data, "session.es.vtt", language="en").language == "en"
    assert parse_bytes(data, "session.en-us.vtt").language == "en-US"
    assert parse_bytes(data, "film.ar-rtl.vtt").language == "ar"
    assert parse_bytes(data, "minutes.final.vtt").language is None


def test_turn_markers_in_youtube_automatic_captions():
    data = vtt(
        "00:00:01.000 --> 00:00:03.000\n \nthank<00:00:01.500><c> you</c><00:00:02.000><c> &gt;&gt;</c>",
        "00:00:03.000 --> 00:00:03.010\nthank you >>\n ",
        "00:00:03.010 --> 00:00:05.000\nthank you >>\nmr<00:00:03.400><c> chairman</c><00:00:04.000><c> >>next</c>",
    )
    segments = parse_bytes(data, "auto.vtt").segments
    assert [s.text for s in segments] == ["thank you", "mr chairman", "next"]
    assert [s.start for s in segments] == [1.0, 3.01, 4.0]


def test_srt_without_blank_lines_between_cues_keeps_index_numbers_out_of_the_text():
    data = b"1\n00:00:01,000 --> 00:00:02,000\nWe counted\n2\n00:00:02,000 --> 00:00:03,000\nvotes: 12\n3\n00:00:03,000 --> 00:00:04,000\nin favour.\n"
    assert words(parse_bytes(data, "x.srt")) == "We counted votes: 12 in favour."
    spoken_number = b"1\n00:00:01,000 --> 00:00:02,000\nThe answer is\n\n2\n00:00:02,000 --> 00:00:03,000\n42\n\n3\n00:00:03,000 --> 00:00:04,000\nindeed.\n"
    assert words(parse_bytes(spoken_number, "x.srt")) == "The answer is 42 indeed."


def test_a_stray_byte_order_mark_inside_a_tag_leaves_no_markup():
    from transcripts import parse_bytes

    data = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nthe <\ufeffc>federal</\ufeffc> reserve\n".encode()
    (segment,) = parse_bytes(data, "joined.vtt").segments
    assert segment.text == "the federal reserve"
