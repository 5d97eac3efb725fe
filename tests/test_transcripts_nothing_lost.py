"""Nothing lost without a word: every spoken word a caption file holds is stored once, in the file's order, clean,
or the ingest says where and why it could not; a word's time is when it is first shown.

The four quirks of a real YouTube automatic-caption file of a council meeting are built here by hand: no WEBVTT
header, two-letter sub-word chunks whose inline times are offsets from the cue start, cue times that jump by
hours, and a restart at 00:00. The corpus checks count words with rules of their own (regular expressions, not
the project's reader) and compare them with what the ingest stored.
"""

from __future__ import annotations

import codecs
import difflib
import html
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog import Catalog
from transcripts import parse_bytes
from uscm_archive.cli import cli

THUMBNAILS = "edge_thumbnail-sprite-track_no-hours.vtt"
CHAPTERS = "chapters_elephants-dream_note-header.vtt"
YOUTUBE_AUTO = "youtube-auto_fomc-press-conference-2021-11-03.en.vtt"

# Three parts of one council meeting, each on its own clock as the broken file has it.
PART_A = (
    "And so that's one instance where the council agreed",
    "we will take public comment on item seven",
    "before the vote on the housing budget",
)
PART_B = (
    "Councilmember Reyes asked about the shelter contract",
    "the clerk will read the motion into the record",
    "all those in favor please say aye",
)
PART_C = (
    "welcome back everyone to the evening session",
    "our first speaker is from the tenants union",
    "thank you madam chair for the opportunity",
)
LINE_SECONDS = 3.0
PIECE_SECONDS = 0.12


def stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    return (
        f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"
    )


def chunked(line: str) -> tuple[str, list[float]]:
    """YouTube's sub-word layout: every word cut into 2-letter pieces, each after an inline time that counts
    from the cue start (``An<00:00:00.120><c>d</c>``); returns the cue line and each word's offset."""
    pieces = [
        (" " * (i == 0 < w) + word[i : i + 2], i == 0)  # a space only before a word's first piece
        for w, word in enumerate(line.split())
        for i in range(0, len(word), 2)
    ]
    text, offsets = pieces[0][0], [0.0]
    for index, (piece, starts_word) in enumerate(pieces[1:], start=1):
        text += f"<{stamp(index * PIECE_SECONDS)}><c>{piece}</c>"
        if starts_word:
            offsets.append(index * PIECE_SECONDS)
    return text, offsets


PARTS = (("A", 1.0, PART_A), ("B", 26 * 3600 + 55 * 60 + 32.0, PART_B), ("C", 0.5, PART_C))


def rolling_blocks(start: float, line: str, previous: str | None) -> tuple[str, str]:
    """YouTube's two cues for a new line: under the line before it with word times, then a 10 ms carry cue."""
    text, _ = chunked(line)
    end = start + LINE_SECONDS - 0.01
    timed = f"{stamp(start)} --> {stamp(end)} align:start position:0%\n{previous or ' '}\n{text}"
    return timed, f"{stamp(end)} --> {stamp(end + 0.01)} align:start position:0%\n{line}\n "


def four_quirks_file() -> tuple[bytes, list[tuple[str, float]], dict[str, int]]:
    """The file; every word with the time it should be stored at (when first shown, on one timeline that
    follows the file's order); and the line where each part begins."""
    blocks, expected, first_lines = [], [], {}
    line_number, moved_start, previous = 1, PARTS[0][1], None
    for name, written_start, lines in PARTS:
        first_lines[name] = line_number
        for number, line in enumerate(lines):
            start = written_start + number * LINE_SECONDS
            _, offsets = chunked(line)
            at = moved_start + number * LINE_SECONDS
            expected.extend((word, at + offset) for word, offset in zip(line.split(), offsets, strict=True))
            for block in rolling_blocks(start, line, previous):
                blocks.append(block)
                line_number += block.count("\n") + 2
            previous = line
        moved_start += len(lines) * LINE_SECONDS  # the next part follows on where this one ends
    return ("\n\n".join(blocks) + "\n").encode("utf-8"), expected, first_lines


def stored_words(transcript) -> list[tuple[str, float]]:
    words = []
    for segment in transcript.segments:
        offset = 0
        for word in segment.text.split(" "):
            words.append((word, segment.time_at(offset)))
            offset += len(word) + 1
    return words


def test_a_file_with_the_four_quirks_keeps_every_word_in_order_and_clean():
    data, expected, first_lines = four_quirks_file()
    assert (
        not data.startswith(b"WEBVTT") and b"An<00:00:00.120><c>d</c>" in data and b"26:55:32.000 -->" in data
    )
    transcript = parse_bytes(data, "council.vtt")
    stored = stored_words(transcript)
    assert [word for word, _ in stored] == " ".join(PART_A + PART_B + PART_C).split()
    assert transcript.format == "vtt"
    warnings = transcript.warnings
    assert warnings[0] == "council.vtt, line 1: no WEBVTT header; read as WebVTT (the cues are WebVTT cues)"
    assert warnings[1] == (
        f"council.vtt, line {first_lines['B']}: cue times jump from 00:00:09.990 to 26:55:32.000; kept in the "
        "file's order, this cue and the ones after it moved by -26:55:22.000 to follow on at 00:00:10.000"
    )
    assert warnings[2].startswith(
        f"council.vtt, line {first_lines['C']}: cue times restart from 26:55:40.990 to 00:00:00.500; kept in "
    )
    assert len(warnings) == 3
    # One timeline in the file's order, every word at the moment it is first shown.
    for (word, at), (_, when) in zip(stored, expected, strict=True):
        assert at == pytest.approx(when, abs=0.0005), word


def test_roll_up_captions_without_word_times_keep_each_word_once_at_its_first_showing():
    """Paint-on and roll-up: the line grows, then moves up; its words are stamped when they appear."""
    data = b"""1
00:00:01,000 --> 00:00:01,800
So that's

2
00:00:01,800 --> 00:00:02,600
So that's one instance

3
00:00:02,600 --> 00:00:04,000
So that's one instance
where the council

4
00:00:04,000 --> 00:00:05,500
where the council agreed to wait.
"""
    transcript = parse_bytes(data, "rollup.srt")
    stored = stored_words(transcript)
    sentence = "So that's one instance where the council agreed to wait."
    assert [word for word, _ in stored] == sentence.split(" ")
    times = dict(stored)
    assert (
        times["So"] == 1.0 and times["instance"] == 1.8 and times["where"] == 2.6 and times["agreed"] == 4.0
    )


def test_two_recordings_joined_keep_the_file_order_when_the_clock_restarts():
    first = [f"00:00:{n * 4:02d}.000 --> 00:00:{n * 4 + 3:02d}.000\nmorning part {n}." for n in range(5)]
    second = [
        f"00:00:{n * 4 + 1:02d}.000 --> 00:00:{n * 4 + 4:02d}.000\nafternoon part {n}." for n in range(3)
    ]
    transcript = parse_bytes(("WEBVTT\n\n" + "\n\n".join(first + second) + "\n").encode(), "joined.vtt")
    text = " ".join(segment.text for segment in transcript.segments)
    assert text == " ".join(
        [f"morning part {n}." for n in range(5)] + [f"afternoon part {n}." for n in range(3)]
    )
    starts = [segment.start for segment in transcript.segments]
    assert starts == sorted(starts)
    assert transcript.warnings == (
        "joined.vtt, line 18: cue times restart from 00:00:16.000 to 00:00:01.000; kept in the file's order, "
        "this cue and the ones after it moved by +00:00:18.000 to follow on at 00:00:19.000",
    )


def test_a_single_cue_out_of_place_is_put_in_time_order_with_a_warning():
    data = b"WEBVTT\n\n00:00:10.000 --> 00:00:12.000\nsecond\n\n00:00:02.000 --> 00:00:04.000\nfirst\n\n" \
        b"00:00:12.000 --> 00:00:14.000\nthird\n"  # fmt: skip
    transcript = parse_bytes(data, "x.vtt")
    assert " ".join(s.text for s in transcript.segments) == "first second third"
    assert transcript.warnings == ("x.vtt, line 6: a cue out of time order; placed by its own time",)


def test_a_headerless_file_with_metadata_lines_keeps_its_language():
    data = b"Kind: captions\nLanguage: es\n\n00:00:01.000 --> 00:00:03.000 align:start\nbuenos d\xc3\xadas\n"
    transcript = parse_bytes(data, "x.vtt")
    assert transcript.language == "es" and transcript.segments[0].text == "buenos días"
    assert transcript.warnings == (
        "x.vtt, line 1: no WEBVTT header; read as WebVTT (the cues are WebVTT cues)",
    )


def test_a_dropped_cue_says_how_many_words_were_lost():
    data = (
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nkept\n\n00:00:09.000 --> 00:00:03.000\nthree lost words\n"
    )
    transcript = parse_bytes(data, "x.vtt")
    assert transcript.warnings == ("x.vtt, line 6: cue ends before it starts; dropped (3 words)",)
    srt = parse_bytes(b"Council minutes, draft\n\n1\n00:00:01,000 --> 00:00:02,000\nkept\n", "x.srt")
    assert srt.warnings == ("x.srt, line 1: text before the first cue ignored (3 words)",)


# --- the ingest says what it stored ---------------------------------------------------------------------------


def ingest(data_dir: Path, path: Path):
    return CliRunner().invoke(cli, ["--data", str(data_dir), "ingest", str(path)], catch_exceptions=False)


def catalog_words(data_dir: Path, session_id: int) -> list[str]:
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        return " ".join(segment.text for segment in catalog.segments(session_id)).split()
    finally:
        catalog.close()


WORDS_LINE = re.compile(r"^session (\d+): ([\d,]+) words stored", re.MULTILINE)


def test_ingest_prints_the_words_it_stored_and_every_warning(tmp_path: Path):
    data, _, first_lines = four_quirks_file()
    path = tmp_path / "council-2024-06-21.vtt"
    path.write_bytes(data)
    result = ingest(tmp_path / "data", path)
    assert result.exit_code == 0, result.output
    session_id = int(result.stdout.strip())
    said = WORDS_LINE.search(result.stderr)
    assert said and int(said.group(1)) == session_id
    expected = " ".join(PART_A + PART_B + PART_C).split()
    assert (
        int(said.group(2).replace(",", ""))
        == len(expected)
        == len(catalog_words(tmp_path / "data", session_id))
    )
    assert catalog_words(tmp_path / "data", session_id) == expected
    for line in (1, first_lines["B"], first_lines["C"]):
        assert re.search(rf"^warning: {re.escape(str(path))}, line {line}: ", result.stderr, re.MULTILINE)
    assert result.stderr.count("warning: ") == 3  # each once


def staff_preview(tmp_path: Path, data: bytes) -> str:
    """Upload ``data`` through the staff form and return the preview page it leads to."""
    from fastapi.testclient import TestClient

    from tests.support.staffsite import EDITOR, build_staff_site, csrf_of, signed_in
    from web.app import create_app

    site = build_staff_site(tmp_path / "data")
    with TestClient(create_app(site.settings)) as client:
        editor = signed_in(client, site, EDITOR)
        form = editor.get("/staff/sessions/new").text
        response = editor.post(
            "/staff/sessions/new/upload",
            data={"csrf": csrf_of(form), "title": "Council, evening"},
            files={"captions": ("council.vtt", data, "application/octet-stream")},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text[:300]
        return html.unescape(editor.get(response.headers["location"]).text)


def test_the_staff_upload_preview_shows_the_same_figure_and_the_warnings(tmp_path: Path):
    data, _, first_lines = four_quirks_file()
    preview = staff_preview(tmp_path, data)
    words = len(" ".join(PART_A + PART_B + PART_C).split())
    assert f"{words} words stored" in preview
    assert "3 warnings when the captions were read" in preview
    assert "line 1: no WEBVTT header" in preview
    assert f"line {first_lines['B']}: cue times jump" in preview
    assert f"line {first_lines['C']}: cue times restart" in preview


def test_the_staff_upload_takes_webvtt_that_kept_its_metadata_lines_but_lost_its_header(tmp_path: Path):
    data = b"Kind: captions\nLanguage: en\n\n00:00:01.000 --> 00:00:04.000 align:start\nThe levee vote is tonight.\n"
    preview = staff_preview(tmp_path, data)
    assert "5 words stored" in preview and "The levee vote is tonight." in preview
    assert "1 warning when the captions were read" in preview and "line 1: no WEBVTT header" in preview


# --- an independent count on every corpus caption file --------------------------------------------------------

_TIMING = re.compile(r"((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})")
_INLINE = re.compile(r"<(?:\d+:)?\d{1,2}:\d{2}\.\d{3}>")
_LABEL = re.compile(r"^([A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,3}): ")


def decoded(data: bytes) -> str:
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def seconds(text: str) -> float:
    total = 0.0
    for field in text.replace(",", ".").split(":"):
        total = total * 60 + float(field)
    return total


def raw_cues(text: str) -> list[tuple[float, float, list[str]]]:
    """(start, end, text lines): the lines after a timing line up to the first blank line after some text."""
    cues: list[tuple[float, float, list[str]]] = []
    current = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        timing = _TIMING.search(line)
        if timing:
            current = (seconds(timing.group(1)), seconds(timing.group(2)), [])
            cues.append(current)
        elif current is not None:
            if line.strip():
                current[2].append(line)
            elif current[2]:
                current = None
    return cues


def spoken(line: str) -> list[str]:
    line = html.unescape(re.sub(r"\{\\[^}]*\}", "", re.sub(r"<[^>]*>", "", line)))
    return [token for token in line.split() if re.search(r"\w", token)]


def independent_words(data: bytes) -> list[str]:
    """Words counted without the project's reader. Rolling captions (inline times in over 5% of cues): only the
    last line of each cue longer than 20 ms is new. Otherwise every cue's text, except a cue repeating the one
    before word for word; a ``Name: `` label that starts most cues is a speaker, not speech."""
    cues = raw_cues(decoded(data))
    if sum(1 for _, _, lines in cues if _INLINE.search(" ".join(lines))) > 0.05 * len(cues):
        return [w for start, end, lines in cues if end - start > 0.02 and lines for w in spoken(lines[-1])]
    labelled = sum(1 for _, _, lines in cues if lines and _LABEL.match(lines[0]))
    drop_labels = labelled > 0.6 * len(cues)
    words, previous = [], None
    for _, _, lines in cues:
        text = "\n".join(lines)
        if text == previous:
            continue
        previous = text
        if drop_labels:
            text = _LABEL.sub("", text, count=1)
        words.extend(spoken(text))
    return words


def caption_files() -> list[str]:
    from conftest import corpus_path

    folder = corpus_path() / "captions"
    names = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else ["(corpus absent)"]
    return [name for name in names if name not in (THUMBNAILS, CHAPTERS)]


@pytest.mark.parametrize("name", caption_files())
def test_an_independent_word_count_agrees_with_the_words_stored(corpus: Path, tmp_path: Path, name: str):
    path = corpus / "captions" / name
    result = ingest(tmp_path / "data", path)
    assert result.exit_code == 0, result.output
    session_id = int(result.stdout.strip())
    stored = catalog_words(tmp_path / "data", session_id)
    said = WORDS_LINE.search(result.stderr)
    assert int(said.group(2).replace(",", "")) == len(stored)
    counted = independent_words(path.read_bytes())
    stored_count = sum(1 for word in stored if re.search(r"\w", word))
    difference = abs(stored_count - len(counted))
    if difference > 0.03 * len(counted):
        assert re.search(rf"warning: {re.escape(str(path))}, lines? \d+", result.stderr), (
            f"{len(counted)} words counted, {stored_count} stored, and no warning says where"
        )


# --- a hit starts when the word is first shown -----------------------------------------------------------------


def first_shown_youtube(text: str) -> list[tuple[str, float]]:
    """Each spoken word with the moment YouTube first shows it: its inline time in the cue that adds its line,
    else that cue's start (the line is only repeated later: above the next line and in the 10 ms carry cue)."""
    words = []
    for start, end, lines in raw_cues(text):
        if end - start <= 0.02 or not lines:
            continue
        at = start
        for piece in re.split(r"(<\d+:\d{2}:\d{2}\.\d{3}>)", lines[-1]):
            if _INLINE.fullmatch(piece):
                at = seconds(piece[1:-1])
            else:
                words.extend((word, at) for word in spoken(piece))
    return words


def first_shown_plain(text: str) -> list[tuple[str, float]]:
    """Roll-up captions without word times: a line is first shown by the first cue holding it."""
    words, seen = [], set()
    for start, _, lines in raw_cues(text):
        for line in lines:
            key = " ".join(spoken(line))
            if key and key not in seen:
                seen.add(key)
                words.extend((word, start) for word in spoken(line))
    return words


def as_converted_srt(text: str) -> bytes:
    """The YouTube file as a converter to SRT leaves it (yt-dlp --convert-subs srt): word times and tags gone,
    every line still shown three times."""
    blocks = []
    for number, (start, end, lines) in enumerate(raw_cues(text), start=1):
        kept = [re.sub(r"<[^>]*>", "", line).strip() for line in lines]
        kept = [line for line in kept if line]
        if kept:
            clock = f"{stamp(start)} --> {stamp(end)}".replace(".", ",")
            blocks.append(f"{number}\n{clock}\n" + "\n".join(kept))
    return ("\n\n".join(blocks) + "\n").encode("utf-8")


def assert_marks_not_late(stored: list[tuple[str, float]], expected: list[tuple[str, float]]) -> int:
    matcher = difflib.SequenceMatcher(a=[w for w, _ in expected], b=[w for w, _ in stored], autojunk=False)
    checked = 0
    for a, b, size in matcher.get_matching_blocks():
        for i in range(0, size, 7):  # every 7th word of each matching run
            word, first = expected[a + i]
            assert stored[b + i][1] <= first + 0.5, (
                f"{word!r} first shown at {first:.3f}, marked {stored[b + i][1]}"
            )
            checked += 1
    return checked


@pytest.mark.parametrize("layout", ["vtt with word times", "converted to srt"])
def test_youtube_auto_words_are_marked_when_first_shown(corpus: Path, layout: str):
    raw = (corpus / "captions" / YOUTUBE_AUTO).read_text("utf-8")
    if layout == "vtt with word times":
        expected, data = first_shown_youtube(raw), raw.encode("utf-8")
    else:
        expected, data = first_shown_plain(raw), as_converted_srt(raw)
    stored = stored_words(parse_bytes(data, "fomc.en." + data[:6].decode().lower()[:3]))
    assert abs(len(stored) - len(expected)) <= 0.03 * len(expected)
    assert assert_marks_not_late(stored, expected) > 1000
