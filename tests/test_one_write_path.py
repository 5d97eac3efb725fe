"""One fact, one write path: what ingest stores and what a staffer stores follow the same rules.

A control character in a staff correction is cleaned exactly as ingest cleans it, and a speaker credited on a
session gets its position by the same rule whether ingest or a staffer credits it.
"""

from __future__ import annotations

import pytest

from catalog import Catalog, SessionMeta, SpeakerCredit, TrackInput
from tests.support.dbfile import sql_rows
from transcripts import Segment, Transcript

pytestmark = pytest.mark.backends

TYPED = ["a\x01b", "budget\x07vote\x1fnow", "tab\tstays", "bell\x7fend", "cr\rlf"]


def ingest(catalog: Catalog, key: str, lines: list[tuple[str, str | None]], credits=()) -> int:
    segments = tuple(Segment(i * 5.0, i * 5.0 + 4.0, text, who) for i, (text, who) in enumerate(lines))
    meta = SessionMeta(title=key, speakers=tuple(SpeakerCredit(name) for name in credits))
    return catalog.save_session(key, meta, [TrackInput(Transcript(segments=segments))])


@pytest.mark.parametrize("typed", TYPED)
def test_a_control_character_typed_in_a_correction_is_cleaned_as_ingest_cleans_it(catalog, typed):
    by_ingest = ingest(catalog, "ingested", [(typed, None)])
    by_staff = ingest(catalog, "corrected", [("words to correct", None)])
    segment = catalog.segments(by_staff)[0]
    assert catalog.staff.segments.correct(segment.id, typed, "ann")
    stored_at_ingest = catalog.segments(by_ingest)[0].text
    stored_by_staff = catalog.segments(by_staff)[0].text
    assert stored_by_staff == stored_at_ingest
    assert not any(ord(c) < 32 or ord(c) == 127 for c in stored_by_staff)


def test_a_correction_of_a_b_with_a_control_character_stores_a_space(catalog):
    session = ingest(catalog, "one", [("a\x01b", None), ("x y", None)])
    first, second = catalog.segments(session)
    assert first.text == "a b"  # ingest
    catalog.staff.segments.correct(second.id, "x\x01y", "ann")
    assert catalog.segments(session)[1].text == "x y"  # the staffer's correction, cleaned the same way


def credits_of(catalog: Catalog, session_id: int) -> list[tuple[str, int]]:
    return sql_rows(
        catalog.path,
        "SELECT sp.name, ss.position FROM session_speakers ss JOIN speakers sp ON sp.id = ss.speaker_id "
        "WHERE ss.session_id = ? ORDER BY ss.position",
        (session_id,),
    )


def test_a_speaker_credited_by_ingest_and_by_staff_gets_the_same_position(catalog):
    # Ingest: credits A, A (once), B, then C speaks a segment and is credited after them.
    by_ingest = ingest(catalog, "ingested", [("hello", "C")], credits=("A", "A", "B"))
    # Staff: the same credits typed in the speakers form, then a correction names C as a segment's speaker.
    by_staff = ingest(catalog, "edited", [("hello", None)])
    catalog.staff.edits.set_speakers(by_staff, [("A", None), ("A", None), ("B", None)], "ann")
    segment = catalog.segments(by_staff)[0]
    catalog.staff.segments.correct(segment.id, "hello", "ann", speaker="C")
    assert credits_of(catalog, by_ingest) == [("A", 0), ("B", 1), ("C", 2)]
    assert credits_of(catalog, by_staff) == credits_of(catalog, by_ingest)
