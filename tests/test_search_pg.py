"""Search on PostgreSQL (issue 16) as on SQLite: the tsquery compiler's rules, the same ranking on the same archive,
and chat search, related moments and trends on both backends."""

from __future__ import annotations

import random
import re

import pytest

from catalog import Catalog, SearchRequest, SessionMeta, TrackInput
from catalog.search.pg_query import Phrase, Stats, compile_query, idf
from catalog.search.query import parse
from tests.conftest import BACKENDS, fresh_pg
from transcripts import ChatMessage, Segment, Transcript, parse_file


def lowered(word: str) -> tuple[str, ...]:
    return (word.lower(),)


# -- the compiler (pure) ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "tsquery"),
    [
        ("housing", "'housing'"),
        ('"public comment"', "('public' <-> 'comment')"),
        ("infra*", "'infra':*"),
        ('"affordable hous"*', "('affordable' <-> 'hous':*)"),
        ("housing OR shelter", "'housing' | 'shelter'"),
        ("rent housing OR shelter", "'rent' & ('housing' | 'shelter')"),
        ("housing -shelter", "'housing' & !'shelter'"),
        ('housing -"tiny homes"', "'housing' & !('tiny' <-> 'homes')"),
        ("don't", "('don' <-> 't')"),  # one word to the searcher: its parts in a row, as on FTS5
        ("C++ & | ! <-> :*", "'c'"),
        ("O'Brien\\", "('o' <-> 'brien')"),
    ],
)
def test_every_query_compiles_to_quoted_lexemes(typed, tsquery):
    assert compile_query(parse(typed), lowered).tsquery == tsquery


def test_a_quote_or_a_backslash_inside_a_lexeme_is_escaped():
    assert Phrase(("it's", "a\\b")).tsquery() == "('it''s' <-> 'a\\\\b')"


def test_a_term_that_normalises_to_nothing():
    nothing = {"zzz": ()}
    # a group that can match nothing makes the query match nothing; an excluded one leaves nothing out
    assert compile_query(parse("housing zzz"), lambda w: nothing.get(w, (w,))).tsquery is None
    assert compile_query(parse("housing -zzz"), lambda w: nothing.get(w, (w,))).tsquery == "'housing'"
    assert compile_query(parse("housing OR zzz"), lambda w: nothing.get(w, (w,))).tsquery == "'housing'"


def test_bm25_weights_are_fts5s():
    assert idf(1000, 10) == pytest.approx(4.5468, abs=1e-4)  # log((1000 - 10 + 0.5) / (10 + 0.5))
    assert idf(1000, 600) == 1e-6  # FTS5 floors a term in more than half the documents
    assert Stats(10, 12.5).mean_length == 12.5


# -- the same archive, the same answers -------------------------------------------------------------------------
CORPUS_FILES = (
    "zoom_teacher-chemistry-lesson-31m.vtt",
    "srt_scipy2020-talk-pyhf_bom.srt",
    "srt_user2021-talk-carpentries_overlapping-cues.srt",
)


@pytest.fixture(scope="module")
def twins(request, tmp_path_factory):
    """Three corpus talks stored alike in a SQLite catalog and a PostgreSQL one."""
    from tests.conftest import corpus_path

    captions = corpus_path() / "captions"
    if not all((captions / name).exists() for name in CORPUS_FILES):
        pytest.skip(f"corpus files missing under {captions}")
    catalogs = [
        Catalog.open(tmp_path_factory.mktemp("twin") / "catalog.db"),
        Catalog.open(fresh_pg(request)),
    ]
    for catalog in catalogs:
        for name in CORPUS_FILES:
            meta = SessionMeta(title=name, date="2024-01-01")
            catalog.save_session(f"file:{name}", meta, [TrackInput(parse_file(captions / name))])
    yield catalogs
    for catalog in catalogs:
        catalog.close()


def sample_queries(catalog: Catalog) -> list[str]:
    """Words, phrases, prefixes, ORs and exclusions drawn (seeded) from the stored text."""
    rng = random.Random(16)
    words = [
        w
        for sid in range(1, len(CORPUS_FILES) + 1)
        for s in catalog.segments(sid)
        for w in re.findall(r"[a-z]{4,}", s.text.lower())
    ]
    said = [s.text for sid in range(1, len(CORPUS_FILES) + 1) for s in catalog.segments(sid)]
    queries = []
    for _ in range(25):
        a, b = rng.choice(words), rng.choice(words)
        line = re.findall(r"[A-Za-z']+", rng.choice(said))
        start = rng.randrange(max(len(line) - 3, 1))
        queries += [
            a,
            f"{a} {b}",
            f"{a} OR {b}",
            f"{a[:4]}*",
            f"{a} -{b}",
            '"' + " ".join(line[start : start + 3]) + '"',
        ]
    return queries


def answer(catalog: Catalog, query: str) -> tuple[int, list[tuple]]:
    results = catalog.search(SearchRequest(query, limit=10, correct=False))
    return results.total, [(h.session_id, h.start, h.text) for h in results.hits]


def test_both_backends_rank_the_same_archive_alike(twins):
    """Where both backends match the same segments (stemming aside: Porter on SQLite, Snowball on PostgreSQL),
    the first ten hits are the same, in the same order, starting at the same second."""
    sqlite, postgresql = twins
    queries = sample_queries(sqlite)
    same_matches = same_order = 0
    differ = []
    for query in queries:
        total_a, hits_a = answer(sqlite, query)
        total_b, hits_b = answer(postgresql, query)
        if total_a != total_b:
            continue
        same_matches += 1
        if hits_a == hits_b:
            same_order += 1
        else:
            differ.append((query, hits_a[:3], hits_b[:3]))
    assert same_matches >= 0.8 * len(queries), (same_matches, len(queries))
    assert same_order >= 0.95 * same_matches, differ


# -- chat, related moments, trends ------------------------------------------------------------------------------
pytestmark = pytest.mark.search


@pytest.fixture(params=BACKENDS)
def webinar(request, tmp_path):
    target = fresh_pg(request) if request.param == "postgresql" else tmp_path / "catalog.db"
    catalog = Catalog.open(target)
    lines = (
        "The housing trust fund pays for the shelter beds this winter.",
        "Bus lanes on Main Street open in March.",
        "The shelter beds are full most nights, the housing office says.",
    )
    segments = tuple(Segment(10.0 * i, 10.0 * i + 8, text) for i, text in enumerate(lines))
    for key, date in (("a", "2023-02-01"), ("b", "2024-06-01")):
        sid = catalog.save_session(
            key, SessionMeta(title=f"Council {key}", date=date), [TrackInput(Transcript(segments=segments))]
        )
    chat = (
        ChatMessage(5.0, "Ana", "Where can I read the housing plan?"),
        ChatMessage(9.0, "Bo", "housing housing <b>housing</b> again"),
        ChatMessage(12.0, "Cy", "Thanks all"),
    )
    catalog.staff.extras.set_chat(sid, chat, "tester")
    yield catalog
    catalog.close()


def test_chat_search_finds_marks_and_ranks_messages(webinar):
    results = webinar.search_chat(SearchRequest("housing"))
    assert results.total == 2
    assert [h.sender for h in results.hits] == ["Bo", "Ana"]  # bm25: the message saying it three times first
    assert results.hits[1].marked == "Where can I read the \x02housing\x03 plan?"
    assert webinar.search_chat(SearchRequest('"read the housing"')).total == 1


def test_related_moments_come_from_other_sessions(webinar):
    first = webinar.segments(1)[0]
    related = webinar.related(first.id)
    assert related.hits and all(h.session_id != 1 for h in related.hits)
    assert "\x02" in related.hits[0].marked


def test_a_trend_counts_what_its_search_totals(webinar):
    from catalog import TrendRequest

    trend = webinar.trend(TrendRequest(terms=("shelter", '"bus lanes"'), by="year"))
    assert [p.label for p in trend.periods] == ["2023", "2024"]
    by_term = {s.term: s.counts for s in trend.series}
    assert by_term == {"shelter": (2, 2), '"bus lanes"': (1, 1)}
    for term, counts in by_term.items():
        assert webinar.search(SearchRequest(term, since="2024-01-01", until="2024-12-31")).total == counts[1]
