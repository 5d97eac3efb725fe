"""Zoom chat exports read into timed messages: both layouts, private messages left out, the offset onto the
video's clock, and a malformed file refused naming its line."""

from __future__ import annotations

import pytest

from transcripts import TranscriptError, parse_chat, parse_chat_bytes

NEW_EXPORT = """00:00:41 From  Ann Rivers  to  Everyone:
\tWelcome! Slides are at https://example.org/slides
00:02:05 From  Bob Marsh  to  Ann Rivers(Direct Message):
\tcan you hear me?
00:03:10 From  Carla Díaz  to  Everyone:
\tOur levee bond passed last week.
\tSecond line of the same message.
00:04:00 From  Dee  to  Everyone: a message on the header line
"""

OLD_EXPORT = """00:10:01 From Ann Rivers : first question about transit
00:10:30 From Bob to Ann Rivers(Privately) : private aside
00:11:02 From Carla : :) thanks
"""


def test_the_newer_export_gives_public_messages_with_their_times_and_lines_joined():
    chat = parse_chat(NEW_EXPORT)
    assert [(m.start, m.sender, m.text) for m in chat.messages] == [
        (41.0, "Ann Rivers", "Welcome! Slides are at https://example.org/slides"),
        (190.0, "Carla Díaz", "Our levee bond passed last week. Second line of the same message."),
        (240.0, "Dee", "a message on the header line"),
    ]
    assert chat.private_dropped == 1  # the direct message never shows


def test_the_older_one_line_export_and_its_private_messages():
    chat = parse_chat(OLD_EXPORT)
    assert [(m.start, m.sender, m.text) for m in chat.messages] == [
        (601.0, "Ann Rivers", "first question about transit"),
        (662.0, "Carla", ":) thanks"),
    ]
    assert chat.private_dropped == 1


def test_the_offset_moves_the_chat_onto_the_videos_clock_never_below_zero():
    chat = parse_chat(NEW_EXPORT, offset=-60)
    assert [m.start for m in chat.messages] == [0.0, 130.0, 180.0]


def test_a_byte_order_mark_and_windows_line_ends_are_read():
    data = "\ufeff".encode() + NEW_EXPORT.replace("\n", "\r\n").encode("utf-8")
    assert len(parse_chat_bytes(data, "meeting_saved_chat.txt").messages) == 3


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n", "line 1", "expected a Zoom chat line"),
        ("00:99:00 From  Ann  to  Everyone:\n\thi\n", "line 1", "is not a time of day"),
        ("", "chat.txt", "no chat messages found"),
    ],
)
def test_a_file_that_is_not_a_chat_export_is_refused_naming_the_line(text, where, what):
    with pytest.raises(TranscriptError) as error:
        parse_chat(text, "chat.txt")
    assert where in str(error.value) and what in str(error.value)
