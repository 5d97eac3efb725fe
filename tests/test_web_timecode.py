"""Times in links: ``?t=`` in every accepted spelling, and ``clock`` for display; links never miss their line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import StoredSegment
from web.session_view import link_time, segment_at
from web.timecode import clock, iso_duration, parse_time


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("90.5", 90.5),
        ("1m30s", 90.0),
        ("1m30", 90.0),
        ("2m", 120.0),
        ("1h2m3s", 3723.0),
        ("1H", 3600.0),
        ("1:30", 90.0),
        ("1:02:03", 3723.0),
        ("0:00:45.25", 45.25),
        (" 75 ", 75.0),
    ],
)
def test_accepted_spellings(text, seconds):
    assert parse_time(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["", "abc", "-5", "1:60", "1:2:3:4", "1m-3s", "1.5:00", "nan", "inf", "1e9", "9" * 40, "1:xx", "m", None],
)
def test_anything_else_is_not_a_time(text):
    assert parse_time(text) is None


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (75.9, "1:15"), (3723, "1:02:03"), (None, "0:00")]
)
def test_clock(seconds, text):
    assert clock(seconds) == text


def test_iso_duration():
    assert iso_duration(3723.4) == "PT1H2M3S" and iso_duration(None) is None


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=100_000, allow_nan=False))
def test_clock_reads_back_as_the_whole_second(seconds):
    assert parse_time(clock(seconds)) == int(seconds)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=20_000, allow_nan=False), min_size=1, max_size=30, unique=True)
)
def test_a_link_to_a_segment_marks_that_segment(starts):
    """``?t=`` written by ``link_time`` for any segment start points back at that segment."""
    starts = sorted(starts)
    if any(b - a < 0.05 for a, b in zip(starts, starts[1:], strict=False)):
        return  # segments are never this close; a link cannot tell them apart
    segments = [StoredSegment(i, 1, i, s, s + 0.04, "x") for i, s in enumerate(starts)]
    for index, start in enumerate(starts):
        assert segment_at(segments, parse_time(link_time(start))) == index


@pytest.mark.parametrize("text", ["²", "١٢", "1:٣٠", "１０"])
def test_only_ascii_digits_are_times(text):
    assert parse_time(text) is None
