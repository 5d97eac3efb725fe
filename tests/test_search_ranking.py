"""One ranking on every search path: bm25 best first, equal scores by segment id, and pages that tile it.

The archive repeats the same lines across sessions, so most scores tie: an order that broke ties differently on
some path (or between two pages of one search) would show here.
"""

from __future__ import annotations

import sqlite3

import pytest

from catalog import AsrLine, Catalog, SearchRequest, SessionMeta, SpeakerCredit, TrackInput
from catalog.search.query import parse
from transcripts import Segment, Transcript

LINES = [
    ("the budget", "Ada"),
    ("the budget for parks", "Bo"),
    ("the budget", "Ada"),
    ("parks and the budget and the budget again", "Bo"),
    ("budgeting for the parks", "Ada"),
    ("the budget", None),
]
SESSIONS = 9  # one of them a draft


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    catalog = Catalog.open(tmp_path_factory.mktemp("ranking") / "catalog.db")
    ids = []
    for n in range(SESSIONS):
        segments = tuple(Segment(i * 4.0, i * 4.0 + 3.0, text, who) for i, (text, who) in enumerate(LINES))
        meta = SessionMeta(
            title=f"session {n}",
            date=f"2024-01-{n + 1:02d}",
            status="draft" if n == 4 else "published",
            speakers=(SpeakerCredit("Ada"), SpeakerCredit("Bo")),
        )
        ids.append(catalog.save_session(f"s{n}", meta, [TrackInput(Transcript(segments=segments))]))
    yield catalog, ids
    catalog.close()


def scores(catalog: Catalog, query: str) -> dict[int, float]:
    conn = sqlite3.connect(catalog.path)
    try:
        rows = conn.execute(
            "SELECT rowid, bm25(segments_fts) FROM segments_fts WHERE segments_fts MATCH ?",
            (parse(query).fts,),
        )
        return dict(rows.fetchall())
    finally:
        conn.close()


CASES = {
    "global, drafts left out": {},
    "global, drafts in": {"include_drafts": True},
    "global prefix": {"query": "budg*"},
    "scored in one pass": {"query": '"the budget"'},
    "either word": {"query": "budget OR parks"},
    "one session (scoped)": {"session": 2},
    "a speaker (scoped, filtered)": {"speaker": "Ada"},
    "exact words (joined)": {"query": '"the budget"', "exact": True},
    "a date range (scoped)": {"since": "2024-01-03", "until": "2024-01-08"},
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_every_path_ranks_by_bm25_then_segment_id(archive, case):
    catalog, ids = archive
    options = dict(CASES[case])
    query = options.pop("query", "budget")
    if "session" in options:
        options["session_id"] = ids[options.pop("session")]
    found = catalog.search(SearchRequest(query, limit=100, **options))
    assert found.ordered_by == "relevance" and found.total == len(found.hits) > 3
    ranked = [hit.segment_id for hit in found.hits]
    score = scores(catalog, query)
    assert ranked == sorted(ranked, key=lambda segment: (score[segment], segment))
    assert len({score[s] for s in ranked}) < len(ranked)  # ties there were, and they went by segment id
    paged = [
        hit.segment_id
        for offset in range(0, found.total, 4)
        for hit in catalog.search(SearchRequest(query, limit=4, offset=offset, **options)).hits
    ]
    assert paged == ranked


# -- the ASR tier: while the archive holds an unreviewed automatic transcript, its lines rank below caption lines
ASR_DATES = ("2024-01-05", "2024-01-06", "2024-01-07")  # inside the date-range case's span


@pytest.fixture(scope="module")
def archive_with_asr(tmp_path_factory):
    catalog = Catalog.open(tmp_path_factory.mktemp("ranking-asr") / "catalog.db")
    ids = []
    for n in range(SESSIONS):
        segments = tuple(Segment(i * 4.0, i * 4.0 + 3.0, text, who) for i, (text, who) in enumerate(LINES))
        meta = SessionMeta(
            title=f"session {n}",
            date=f"2024-01-{n + 1:02d}",
            status="draft" if n == 4 else "published",
            speakers=(SpeakerCredit("Ada"), SpeakerCredit("Bo")),
        )
        ids.append(catalog.save_session(f"s{n}", meta, [TrackInput(Transcript(segments=segments))]))
    for n, day in enumerate(ASR_DATES):
        session_id = catalog.save_session(f"asr{n}", SessionMeta(title=f"recording {n}", date=day), [])
        lines = [
            AsrLine(Segment(i * 4.0, i * 4.0 + 3.0, text), ((0, len(text), 0.9),))
            for i, (text, _) in enumerate(LINES)
        ]
        catalog.save_asr_track(session_id, lines, model="test-model", model_sha256="0" * 64)
    yield catalog, ids
    catalog.close()


def asr_lines(catalog: Catalog) -> set[int]:
    conn = sqlite3.connect(catalog.path)
    try:
        rows = conn.execute(
            "SELECT s.id FROM segments s JOIN tracks t ON t.id = s.track_id "
            "WHERE t.source = 'asr' AND t.reviewed = 0 AND s.confidence IS NOT NULL"
        )
        return {row[0] for row in rows}
    finally:
        conn.close()


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_every_path_ranks_unreviewed_asr_lines_below_caption_lines_then_by_bm25(archive_with_asr, case):
    catalog, ids = archive_with_asr
    options = dict(CASES[case])
    query = options.pop("query", "budget")
    if "session" in options:
        options["session_id"] = ids[options.pop("session")]
    found = catalog.search(SearchRequest(query, limit=200, **options))
    assert found.ordered_by == "relevance" and found.total == len(found.hits) > 3
    ranked = [hit.segment_id for hit in found.hits]
    score, automatic = scores(catalog, query), asr_lines(catalog)
    assert ranked == sorted(ranked, key=lambda segment: (segment in automatic, score[segment], segment))
    if automatic & set(ranked) and set(ranked) - automatic:  # both kinds found: the tier decided the order
        assert ranked != sorted(ranked, key=lambda segment: (score[segment], segment))
    paged = [
        hit.segment_id
        for offset in range(0, found.total, 4)
        for hit in catalog.search(SearchRequest(query, limit=4, offset=offset, **options)).hits
    ]
    assert paged == ranked


# The one rule's two additions (docs/architecture.md, "Search ranking"): for an unquoted query of three or more
# words, the segments where its words are said together come first, each tier in RANKING order; hits across a
# segment cut are merged into that order by bm25 over their window, ties by segment id.
TIERED = [
    ("the budget for parks passed", None),
    ("the budget", None),
    ("for parks we voted and then after a very long debate about the budget it finally passed", None),
    ("we voted on the budget", None),
    ("for parks passed today", None),
]


@pytest.fixture(scope="module")
def tiered(tmp_path_factory):
    catalog = Catalog.open(tmp_path_factory.mktemp("tiered") / "catalog.db")
    for n in range(4):
        segments = tuple(Segment(i * 4.0, i * 4.0 + 3.0, text, who) for i, (text, who) in enumerate(TIERED))
        catalog.save_session(
            f"t{n}",
            SessionMeta(title=f"t{n}", date=f"2024-02-0{n + 1}"),
            [TrackInput(Transcript(segments=segments))],
        )
    yield catalog
    catalog.close()


def matched(catalog: Catalog, table: str, match: str) -> dict[int, float]:
    conn = sqlite3.connect(catalog.path)
    try:
        rows = conn.execute(f"SELECT rowid, bm25({table}) FROM {table} WHERE {table} MATCH ?", (match,))
        return dict(rows.fetchall())
    finally:
        conn.close()


def test_words_said_together_are_a_first_tier_each_in_ranking_order(tiered):
    """The first tier is ranked by bm25 of its own expression (the query AND its NEAR), over the segment or, for a
    hit across a cut, over its window; the rest by bm25 of the query. Ties by segment id in both."""
    query = "budget parks passed"
    found = tiered.search(SearchRequest(query, limit=100))
    ranked = [hit.segment_id for hit in found.hits]
    score = scores(tiered, query)
    tier = f"({parse(query).fts}) AND NEAR(budget parks passed, {3 + 3})"
    near = matched(tiered, "segments_fts", tier)
    crossing = [s for s in ranked if s not in score]
    assert near and set(score) - set(near) and crossing  # both tiers hold hits, and some run across a cut
    windows = matched(tiered, "segment_windows_fts", tier)
    first = {**{s: windows[s] for s in crossing}, **near}
    rest = set(score) - set(near)
    assert ranked == sorted(first, key=lambda s: (first[s], s)) + sorted(rest, key=lambda s: (score[s], s))
    paged = [
        hit.segment_id
        for offset in range(0, found.total, 3)
        for hit in tiered.search(SearchRequest(query, limit=3, offset=offset)).hits
    ]
    assert paged == ranked


def test_cross_cut_hits_are_merged_by_bm25_then_segment_id(tiered):
    query = '"the budget for parks"'
    found = tiered.search(SearchRequest(query, limit=100))
    ranked = [hit.segment_id for hit in found.hits]
    alone = scores(tiered, query)
    windows = matched(tiered, "segment_windows_fts", parse(query).fts)
    crossing = [s for s in ranked if s not in alone]
    assert crossing and set(alone) < set(ranked)  # some hits run across a cut, some do not
    score = {**{s: windows[s] for s in crossing}, **alone}
    assert ranked == sorted(ranked, key=lambda segment: (score[segment], segment))
    paged = [
        hit.segment_id
        for offset in range(0, found.total, 3)
        for hit in tiered.search(SearchRequest(query, limit=3, offset=offset)).hits
    ]
    assert paged == ranked
