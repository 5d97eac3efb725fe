"""Saving a session again from its source (a sync refresh, a second import, a pasted URL) keeps what staff
changed by hand, and refreshes everything else."""

from __future__ import annotations

import pytest

from catalog import Catalog, ChapterInput, SearchRequest, SessionMeta, SpeakerCredit, TrackInput
from transcripts import Chapter, Segment, Transcript

pytestmark = pytest.mark.backends

KEY = "youtube:abc123"


def transcript(*lines: str) -> Transcript:
    return Transcript(segments=tuple(Segment(i * 10.0, i * 10.0 + 9, text) for i, text in enumerate(lines)))


def fetch(
    catalog: Catalog, title: str = "Winter meeting plenary", description: str = "From the source."
) -> int:
    """What a refetch does: the whole session, as the source has it now."""
    meta = SessionMeta(
        title=title,
        description=description,
        event="Winter Meeting",
        speakers=(SpeakerCredit("Mayr Holt"),),
        topics=("infrastructure",),
    )
    lines = transcript("Our bridges were built for a smaller city.", "We passed the bond last year.")
    return catalog.save_session(KEY, meta, [TrackInput(lines, source="auto")], [Chapter(0.0, "Opening")])


def texts(catalog: Catalog, session_id: int) -> list[str]:
    return [s.text for s in catalog.segments(session_id)]


def test_a_refetch_without_staff_edits_refreshes_everything(catalog):
    session_id = fetch(catalog)
    assert fetch(catalog, title="Winter meeting plenary (full)", description="Updated.") == session_id
    session = catalog.get_session(session_id)
    assert (session.title, session.description) == ("Winter meeting plenary (full)", "Updated.")


def test_hand_edited_fields_survive_and_the_others_refresh(catalog):
    session_id = fetch(catalog)
    staff = catalog.staff
    staff.edits.update_metadata(session_id, {"title": "92nd Winter Meeting: Opening Plenary"}, "ann")
    fetch(catalog, title="WINTER MTG PLENARY 2024 (uploaded)", description="Source rewrote this.")
    session = catalog.get_session(session_id)
    assert session.title == "92nd Winter Meeting: Opening Plenary"
    assert session.description == "Source rewrote this."


@pytest.mark.search
def test_a_corrected_transcript_and_its_history_survive(catalog):
    session_id = fetch(catalog)
    staff = catalog.staff
    first = catalog.segments(session_id)[0].id
    staff.segments.correct(first, "Our viaducts were built for a smaller city.", "ann")
    fetch(catalog)
    assert texts(catalog, session_id)[0] == "Our viaducts were built for a smaller city."
    assert len(staff.segments.versions(first)) == 1
    hits = catalog.search(SearchRequest('"viaducts were built"')).hits
    assert [h.session_id for h in hits] == [session_id]
    assert catalog.search(SearchRequest('"bridges were built"')).total == 0


def test_fixed_speakers_topics_and_chapters_survive(catalog):
    session_id = fetch(catalog)
    staff = catalog.staff
    staff.edits.set_speakers(session_id, [("David Holt", "Mayor of Oklahoma City")], "ann")
    staff.edits.set_topics(session_id, ["bridges"], "ann")
    staff.edits.set_chapters(
        session_id, [ChapterInput(0.0, "Welcome"), ChapterInput(10.0, "The bond")], "ann"
    )
    fetch(catalog)
    session = catalog.get_session(session_id)
    assert [(s.name, s.role) for s in session.speakers] == [("David Holt", "Mayor of Oklahoma City")]
    assert [t.name for t in session.topics] == ["bridges"]
    assert [c.title for c in catalog.chapters(session_id)] == ["Welcome", "The bond"]
