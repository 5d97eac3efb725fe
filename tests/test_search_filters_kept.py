"""What a filtered search keeps per data version (``facts.kept``: a speaker's ids, the sessions the filters allow,
each session's segment id range) is never stale: a credit, a merge or a re-saved session, written by another
process, shows in the very next search of this catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import Catalog, SearchRequest, SessionMeta, SpeakerCredit, TrackInput
from tests.test_search_facts import in_another_process
from transcripts import Segment, Transcript

pytestmark = pytest.mark.search


def said_by(speaker: str, *lines: str) -> Transcript:
    return Transcript(
        segments=tuple(Segment(10.0 * n, 10.0 * n + 8, t, speaker) for n, t in enumerate(lines))
    )


def found(catalog: Catalog, query: str, speaker: str) -> list[str]:
    return [hit.text for hit in catalog.search(SearchRequest(query, speaker=speaker)).hits]


@pytest.fixture
def archive(data_dir: Path):
    catalog = Catalog.open(data_dir / "catalog.db")
    ada = SessionMeta(title="Levee Board", date="2024-03-01", speakers=(SpeakerCredit("Ada Lovelace"),))
    grace = SessionMeta(title="Dam Board", date="2024-03-02", speakers=(SpeakerCredit("Grace Hopper"),))
    first = catalog.save_session("a", ada, [TrackInput(said_by("Ada Lovelace", "The levee budget passed."))])
    second = catalog.save_session(
        "b", grace, [TrackInput(said_by("Grace Hopper", "The levee needs repair."))]
    )
    yield catalog, first, second
    catalog.close()


def test_a_session_credited_elsewhere_is_searched_under_that_speaker_at_once(archive, data_dir):
    catalog, first, second = archive
    assert found(catalog, "levee", "Ada Lovelace") == ["The levee budget passed."]
    # another process credits Ada on the second session too; its lines name no speaker of their own there
    in_another_process(
        data_dir / "catalog.db",
        """
        catalog.save_session("b", SessionMeta(title="Dam Board", date="2024-03-02",
            speakers=(SpeakerCredit("Grace Hopper"), SpeakerCredit("Ada Lovelace"))),
            [TrackInput(Transcript(segments=(Segment(0.0, 8.0, "The levee needs repair."),)))])
        """,
    )
    assert sorted(found(catalog, "levee", "Ada Lovelace")) == [
        "The levee budget passed.",
        "The levee needs repair.",
    ]
    assert catalog.search(SearchRequest("levee", speaker="Ada Lovelace")).total == 2


def test_a_speaker_merged_elsewhere_answers_for_both_in_the_next_search(archive, data_dir):
    catalog, first, second = archive
    assert found(catalog, "levee", "Grace Hopper") == ["The levee needs repair."]
    in_another_process(
        data_dir / "catalog.db",
        """
        ada, grace = catalog.speaker("Ada Lovelace"), catalog.speaker("Grace Hopper")
        catalog.staff.speakers.merge(ada.id, grace.id, by="test")
        """,
    )
    # Ada's name now leads to Grace, whose lines now include Ada's
    expected = ["The levee budget passed.", "The levee needs repair."]
    assert sorted(found(catalog, "levee", "Grace Hopper")) == expected
    assert sorted(found(catalog, "levee", "Ada Lovelace")) == expected


def test_a_session_saved_again_elsewhere_is_searched_with_its_new_lines(archive, data_dir):
    catalog, first, second = archive
    assert found(catalog, "levee", "Ada Lovelace") == ["The levee budget passed."]
    assert found(catalog, "spillway", "Ada Lovelace") == []
    # saved again with more lines: its segments get new ids, past the range the last search saw
    in_another_process(
        data_dir / "catalog.db",
        """
        lines = ["The levee budget passed.", "A spillway was added.", "The levee spillway opens in May."]
        catalog.save_session("a", SessionMeta(title="Levee Board", date="2024-03-01",
            speakers=(SpeakerCredit("Ada Lovelace"),)),
            [TrackInput(Transcript(segments=tuple(Segment(10.0 * n, 10.0 * n + 8, t, "Ada Lovelace")
                                                  for n, t in enumerate(lines))))])
        """,
    )
    spillway = found(catalog, "spillway", "Ada Lovelace")
    assert sorted(spillway) == ["A spillway was added.", "The levee spillway opens in May."]
    assert sorted(found(catalog, "levee", "Ada Lovelace")) == [
        "The levee budget passed.",
        "The levee spillway opens in May.",
    ]


def test_a_hits_title_date_and_speaker_edited_elsewhere_show_in_the_next_search(archive, data_dir):
    """A hit's session title and date and its speaker's name come from details kept per data version
    (``paths.details``): a retitled session, a renamed speaker and a merge, each written by another process,
    show in the next search's hits."""
    catalog, first, second = archive

    def shown() -> list[tuple]:
        hits = catalog.search(SearchRequest("levee")).hits
        return sorted((hit.session_title, hit.session_date, hit.speaker) for hit in hits)

    assert shown() == [
        ("Dam Board", "2024-03-02", "Grace Hopper"),
        ("Levee Board", "2024-03-01", "Ada Lovelace"),
    ]
    in_another_process(
        data_dir / "catalog.db",
        f"""
        catalog.staff.edits.update_metadata({first}, {{"title": "Levee Board, Amended", "date": "2024-03-05"}}, by="t")
        catalog.staff.speakers.rename(catalog.speaker("Grace Hopper").id, "Rear Admiral Hopper", by="t")
        """,
    )
    assert shown() == [
        ("Dam Board", "2024-03-02", "Rear Admiral Hopper"),
        ("Levee Board, Amended", "2024-03-05", "Ada Lovelace"),
    ]
    in_another_process(
        data_dir / "catalog.db",
        """
        ada, grace = catalog.speaker("Ada Lovelace"), catalog.speaker("Rear Admiral Hopper")
        catalog.staff.speakers.merge(ada.id, grace.id, by="t")
        """,
    )
    assert [speaker for _title, _date, speaker in shown()] == ["Rear Admiral Hopper", "Rear Admiral Hopper"]
