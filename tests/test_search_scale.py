"""The count-first path: a query matching more than the rank limit is answered newest-first, quickly and exactly."""

from __future__ import annotations

import sqlite3
import time

import pytest

from catalog import Catalog, SearchRequest, SessionMeta, SpeakerCredit, TrackInput
from catalog.search.paths import RANK_LIMIT
from tests.conftest import BACKENDS, fresh_pg
from transcripts import Segment, Transcript
from web.published import published

BIG = RANK_LIMIT + 1_000


def session(
    catalog: Catalog, key: str, date: str, lines: list[str], status: str = "published", speaker=None
) -> int:
    segments = tuple(Segment(i * 2.0, i * 2.0 + 2.0, text, speaker) for i, text in enumerate(lines))
    credits = (SpeakerCredit(speaker),) if speaker else ()
    meta = SessionMeta(title=key, date=date, status=status, speakers=credits)
    return catalog.save_session(key, meta, [TrackInput(Transcript(segments=segments))])


@pytest.fixture(scope="module", params=BACKENDS)
def big_archive(request, tmp_path_factory):
    """The huge-query archive with its catalog on each backend (issue 16)."""
    target = (
        fresh_pg(request)
        if request.param == "postgresql"
        else tmp_path_factory.mktemp("scale") / "catalog.db"
    )
    catalog = Catalog.open(target)
    ids = {
        "old": session(
            catalog, "old", "2020-01-01", [f"the council heard item {i} on the agenda" for i in range(BIG)]
        ),
        "new": session(
            catalog, "new", "2024-05-01", ["the mayor spoke", "the zebra crossing", "the end"], speaker="Ada"
        ),
        "draft": session(catalog, "draft", "2025-01-01", ["the secret plan"] * 5, status="draft"),
    }
    yield catalog, ids
    catalog.close()


def exact_bm25(catalog: Catalog, match: str, drafts: tuple[int, ...] = ()) -> list[str]:
    """The texts of every match in FTS5's own bm25 order (ties by segment id), drafts' segments left out."""
    conn = sqlite3.connect(catalog.path)
    try:
        rows = conn.execute(
            "SELECT s.text, s.session_id FROM segments_fts f JOIN segments s ON s.id = f.rowid "
            "WHERE segments_fts MATCH ? ORDER BY bm25(segments_fts), f.rowid",
            (match,),
        ).fetchall()
    finally:
        conn.close()
    return [text for text, session_id in rows if session_id not in drafts]


def has_lists(catalog: Catalog) -> bool:
    """SQLite's impact lists (issue 12) rank a query past the rank limit by bm25; PostgreSQL has no such lists and
    lists it newest session first, in spoken order (docs/scale-out.md, "What differs")."""
    return catalog.backend == "sqlite"


def test_a_query_matching_most_of_the_archive_is_ranked_by_bm25_from_its_list(big_archive):
    catalog, ids = big_archive
    started = time.perf_counter()
    results = catalog.search(SearchRequest("the", limit=5))
    elapsed = time.perf_counter() - started
    if not has_lists(catalog):
        assert results.ordered_by == "date" and results.total == BIG + 3
        assert [h.text for h in results.hits[:3]] == ["the mayor spoke", "the zebra crossing", "the end"]
        assert elapsed < 3.0, f"{elapsed:.3f} s"
        return
    assert (
        results.ordered_by == "relevance" and results.total == BIG + 3
    )  # exact, and the draft is not counted
    assert [h.text for h in results.hits] == exact_bm25(catalog, '"the"', (ids["draft"],))[:5]
    assert results.hits[0].text == "the end"  # the shortest line holding it
    assert elapsed < 1.0, f"{elapsed:.3f} s"


def test_relevance_pages_and_deep_pages_by_date(big_archive):
    catalog, ids = big_archive
    page = catalog.search(SearchRequest("the", limit=3, offset=2))
    if has_lists(catalog):
        assert [h.text for h in page.hits] == exact_bm25(catalog, '"the"', (ids["draft"],))[2:5]
    else:  # newest session first, in spoken order: the third line of "new", then the old session's first two
        assert [h.text for h in page.hits] == [
            "the end",
            "the council heard item 0 on the agenda",
            "the council heard item 1 on the agenda",
        ]
    # beyond what the list can decide, and over the rank limit: newest session first, in spoken order
    deep = catalog.search(SearchRequest("council", limit=2, offset=BIG - 1))
    assert deep.ordered_by == "date" and [h.text for h in deep.hits] == [
        f"the council heard item {BIG - 1} on the agenda"
    ]


def test_a_rarer_query_in_the_same_archive_is_ranked(big_archive):
    catalog, ids = big_archive
    results = catalog.search(SearchRequest("zebra OR mayor"))
    assert results.ordered_by == "relevance" and results.total == 2
    phrase = catalog.search(SearchRequest('"heard item 12345"'))
    assert phrase.total == 1 and phrase.hits[0].start == 12345 * 2.0


@pytest.mark.parametrize(
    ("options", "total"),
    [
        ({"session_id": "old"}, BIG),
        ({"until": "2021-01-01"}, BIG),
        ({"exact": True}, BIG + 3),
        ({"speaker": "ada"}, 3),
        ({"include_drafts": True}, BIG + 8),
    ],
)
def test_filtered_huge_queries_stay_exact(big_archive, options, total):
    catalog, ids = big_archive
    if "session_id" in options:
        options = {**options, "session_id": ids[options["session_id"]]}
    started = time.perf_counter()
    results = catalog.search(SearchRequest("the", limit=4, **options))
    assert results.total == total
    # the unfiltered search (drafts included) is ranked from the impact list; filtered ones over the limit by date
    by_list = options == {"include_drafts": True} and has_lists(catalog)
    assert results.ordered_by == ("date" if total > RANK_LIMIT and not by_list else "relevance")
    assert len(results.hits) == min(4, total)
    assert time.perf_counter() - started < 3.0


def test_a_prefix_matching_much_is_ranked_by_bm25(big_archive):
    catalog, ids = big_archive
    started = time.perf_counter()
    results = published(
        catalog.search(SearchRequest("th*", limit=4, offset=1))
    )  # "the" everywhere, drafts too
    assert time.perf_counter() - started < (1.0 if has_lists(catalog) else 3.0)
    best = published(catalog.search(SearchRequest("th*", limit=1)))
    if has_lists(catalog):
        assert results.ordered_by == "relevance" and results.total == BIG + 3
        assert [h.text for h in results.hits] == exact_bm25(catalog, '"th"*', (ids["draft"],))[1:5]
        assert best.hits[0].text == "the end" and "<mark>the</mark> end" in best.hits[0].snippet
    else:
        assert results.ordered_by == "date" and results.total == BIG + 3
        assert best.hits[0].text == "the mayor spoke" and "<mark>the</mark> mayor" in best.hits[0].snippet
    scoped = catalog.search(SearchRequest("agend*", limit=2, session_id=ids["old"]))
    assert scoped.total == BIG and scoped.ordered_by == "date"
    assert [h.start for h in scoped.hits] == [0.0, 2.0]
