"""Search stays ranked and quick where the archive's size used to force a shortcut: a speaker's few words spread
over sessions among many other matches, and hits built from the snippet the ranking pass made."""

from __future__ import annotations

import time

import pytest

from catalog import Catalog, SearchRequest, SessionMeta, SpeakerCredit, TrackInput
from catalog.search.paths import RANK_LIMIT
from transcripts import Mark, Segment, Transcript
from web.published import marked_html, published


def save(catalog: Catalog, key: str, date: str, lines: list[tuple[str, str | None]]) -> int:
    segments = tuple(Segment(i * 3.0, i * 3.0 + 3.0, text, who) for i, (text, who) in enumerate(lines))
    credits = tuple(SpeakerCredit(name) for name in sorted({who for _, who in lines if who}))
    meta = SessionMeta(title=key, date=date, speakers=credits)
    return catalog.save_session(key, meta, [TrackInput(Transcript(segments=segments))])


@pytest.fixture(scope="module")
def spread_archive(tmp_path_factory):
    """Ada speaks in the oldest and the newest session; between them a long session says "budget" more times
    than the rank limit, so her sessions' rowid span holds far more matches than her own."""
    catalog = Catalog.open(tmp_path_factory.mktemp("spread") / "catalog.db")
    save(
        catalog,
        "first",
        "2019-03-01",
        [
            ("the budget was discussed at great length by everyone in the room today", "Ada"),
            ("budget budget budget", "Ada"),
            ("a budget", "Bo"),
        ],
    )
    save(
        catalog,
        "long",
        "2021-06-01",
        [(f"budget line {i} of the plan", "Bo") for i in range(RANK_LIMIT + 500)],
    )
    save(
        catalog,
        "last",
        "2024-09-01",
        [("our budget and the parks", "Ada"), ("nothing here", "Ada"), ("budget talk", "Cy")],
    )
    yield catalog
    catalog.close()


def test_a_speakers_words_are_ranked_even_when_their_sessions_span_many_other_matches(spread_archive):
    started = time.perf_counter()
    results = published(spread_archive.search(SearchRequest("budget", speaker="Ada")))
    elapsed = time.perf_counter() - started
    assert results.total == 3 and results.ordered_by == "relevance"
    # bm25: three mentions in a short line first, the long sentence with one mention last
    assert [h.text for h in results.hits] == [
        "budget budget budget",
        "our budget and the parks",
        "the budget was discussed at great length by everyone in the room today",
    ]
    assert all(h.speaker == "Ada" for h in results.hits)
    assert results.hits[1].snippet == "our <mark>budget</mark> and the parks"
    assert elapsed < 0.5, f"{elapsed:.3f} s"


def test_paging_a_speakers_ranked_words_gives_each_once(spread_archive):
    pages = [
        spread_archive.search(SearchRequest("budget", speaker="Ada", limit=1, offset=i)) for i in range(4)
    ]
    texts = [h.text for page in pages for h in page.hits]
    assert len(texts) == 3 and len(set(texts)) == 3 and texts[0] == "budget budget budget"
    assert pages[3].hits == () and pages[3].total == 3


def test_a_filter_leaving_more_than_the_rank_limit_lists_newest_first(spread_archive):
    results = spread_archive.search(SearchRequest("budget", speaker="Bo", limit=2))
    assert results.total == RANK_LIMIT + 501 and results.ordered_by == "date"
    assert [h.text for h in results.hits] == ["budget line 0 of the plan", "budget line 1 of the plan"]


@pytest.mark.parametrize(
    ("marked", "expected"),
    [
        ("plain <b> & text", "plain &lt;b&gt; &amp; text"),
        ("a \x02word\x03 and \x02another\x03", "a <mark>word</mark> and <mark>another</mark>"),
        ("\x02open \x02twice\x03 still\x03 out", "<mark>open twice still</mark> out"),
        ("stray\x03 close \x02unclosed", "stray close <mark>unclosed</mark>"),
        ('"quoted" \x02\x03 empty', "&quot;quoted&quot;  empty"),
    ],
)
def test_snippet_markers_become_balanced_escaped_marks(marked, expected):
    assert marked_html(marked) == expected


def test_a_hit_in_a_long_segment_starts_at_the_word_its_snippet_shows(catalog):
    words = [f"word{i}" for i in range(60)]
    words[50] = "lighthouse"
    text = " ".join(words)
    at = text.index("lighthouse")
    marks = (Mark(0, 100.0), Mark(text.index("word20"), 110.0), Mark(text.index("word45"), 120.0),
             Mark(text.index("word55"), 130.0))  # fmt: skip
    segment = Segment(100.0, 140.0, text, None, marks)
    sid = catalog.save_session(
        "long", SessionMeta(title="long"), [TrackInput(Transcript(segments=(segment,)))]
    )
    (hit,) = published(catalog.search(SearchRequest("lighthouse"))).hits
    assert hit.snippet.startswith("…") and "<mark>lighthouse</mark>" in hit.snippet  # a cut window
    assert hit.start == 120.0 and hit.url == f"/sessions/{sid}?t=120"
    assert text[at:].startswith("lighthouse")
    (first,) = published(catalog.search(SearchRequest("word0"))).hits
    assert first.start == 100.0 and first.snippet.startswith("<mark>word0</mark>")
