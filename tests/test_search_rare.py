"""A rare word is ranked from its impact list, which is complete (every segment holding it: ``catalog/store/impact.py``),
with no FTS5 pass scoring its matches; its hits' rows are read in one statement and their snippets made from the
text: the hits are complete and right (title, date, speaker, the time of the matched word, the snippet, drafts
left out, pages in bm25 order), and the search makes a small, fixed number of statements."""

from __future__ import annotations

import pytest

from catalog import Catalog, SearchRequest, SessionMeta, SpeakerCredit, TrackInput
from tests.support.traced import open_traced, statements
from transcripts import Mark, Segment, Transcript
from web.published import published

pytestmark = [pytest.mark.search, pytest.mark.backends]

LINES = [
    ("The culvert on Elm Street floods every spring.", "Ada Lovelace"),
    ("We heard about the culvert twice, culvert repairs cost money.", "Bo Diddley"),
    ("Nothing about drains here at all, just a long line of other words to make it long.", None),
    ("Culvert culvert culvert.", "Ada Lovelace"),
]


def save(catalog: Catalog, key: str, title: str, date: str, lines) -> int:
    segments = []
    for i, (text, who) in enumerate(lines):
        marks = (Mark(0, 10.0 * i), Mark(text.find(" ", 10) + 1, 10.0 * i + 4.0))
        segments.append(Segment(10.0 * i, 10.0 * i + 9.0, text, who, marks))
    credits = tuple(SpeakerCredit(name) for name in sorted({who for _, who in lines if who}))
    meta = SessionMeta(title=title, date=date, speakers=credits)
    return catalog.save_session(key, meta, [TrackInput(Transcript(segments=tuple(segments)))])


@pytest.fixture
def archive(catalog):
    shown = save(catalog, "public", "Drainage Hearing", "2024-05-02", LINES)
    draft = save(catalog, "draft", "Unpublished Draft", "2024-06-01", [("A culvert in a draft.", "Cy")])
    catalog.set_status(draft, "draft")
    return catalog, shown


def test_a_rare_words_hits_show_their_session_speaker_time_and_snippet(archive):
    catalog, shown = archive
    results = published(catalog.search(SearchRequest("culvert")))
    assert results.total == 3 and results.ordered_by == "relevance"
    # bm25: three in a short line, then two in a longer one, then one in the first line
    assert [h.text for h in results.hits] == [LINES[3][0], LINES[1][0], LINES[0][0]]
    best, second, third = results.hits
    assert {h.session_id for h in results.hits} == {shown}  # the draft's line is left out
    assert (best.session_title, best.session_date, best.speaker) == (
        "Drainage Hearing",
        "2024-05-02",
        "Ada Lovelace",
    )
    assert second.speaker == "Bo Diddley"
    assert best.snippet == "<mark>Culvert</mark> <mark>culvert</mark> <mark>culvert</mark>."
    assert "<mark>culvert</mark>" in third.snippet
    # the time of the matched word: the second mark (after the 10th character) for "The culvert ..." is past it
    assert third.start == 0.0
    assert second.start == 10.0 + 4.0  # "culvert" follows the mark at the first space after character 10


def test_a_rare_words_pages_follow_one_another_in_bm25_order(archive):
    catalog, _ = archive
    whole = [h.segment_id for h in catalog.search(SearchRequest("culvert")).hits]
    pages = [
        h.segment_id
        for offset in range(3)
        for h in catalog.search(SearchRequest("culvert", limit=1, offset=offset)).hits
    ]
    assert pages == whole and len(whole) == 3


def test_staff_see_the_drafts_rare_word_too(archive):
    catalog, _ = archive
    results = catalog.search(SearchRequest("culvert", include_drafts=True))
    assert results.total == 4
    assert "Unpublished Draft" in {h.session_title for h in results.hits}


def test_a_rare_word_search_makes_a_few_statements(data_dir, monkeypatch):
    """A search's statements (sqlite3's trace on the catalog's connection, top-level only: FTS5's own reads are
    prefixed ``--``): the data version, the word's df, one snapshot of the lists (their readiness, the word's entry
    and list, FTS5's totals, the left-out draft's matches), the hits' rows. Before its list was complete (migration
    16) FTS5 ranked it, scoring every match, with ``snippet()`` in the same statement."""
    # (SQLite only: no ``backend`` parameter. PostgreSQL's search is search/pg_search.py, untraced here.)
    catalog, opened = open_traced(data_dir / "catalog.db", monkeypatch)
    try:
        save(catalog, "public", "Drainage Hearing", "2024-05-02", LINES)
        draft = save(catalog, "draft", "Unpublished Draft", "2024-06-01", [("A culvert in a draft.", "Cy")])
        catalog.set_status(draft, "draft")
        catalog.search(SearchRequest("culvert"))  # (the word's token learned once per process)
        with statements(opened) as seen:
            results = catalog.search(SearchRequest("culvert"))
    finally:
        catalog.close()
    assert results.total == 3
    own = [s for s in seen if not s.startswith("--")]
    assert not any("bm25(" in x or " rank" in x or "snippet(" in x for x in own), own  # FTS5 scored nothing
    listed = [x for x in own if x.startswith("SELECT segment_id, tf, dl FROM impact_postings")]
    assert len(listed) == 1, own  # its list, read once
    assert sum(x.startswith("SELECT s.id") for x in own) == 1, own  # the hits' rows: one statement
    assert len(own) <= 14, own
