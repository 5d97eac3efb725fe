"""A quote over a segment cut is found wherever the cut now is: after a correction of either side, a re-fetch that
drops or adds segments, over a segment without words; and finding them from the pairs around the cuts
(``catalog/store/cuts.py``, SQLite) answers exactly as walking every window does."""

from __future__ import annotations

import random
import sqlite3

import pytest

from catalog import Catalog, SearchRequest, SessionMeta, TrackInput
from catalog.search import crosscut
from transcripts import Segment, Transcript

# the tests of what a user sees run on both catalog backends (tests/conftest.py: BACKENDS); those of the pairs
# themselves on SQLite, whose own they are (PostgreSQL matches its windows in SQL)
pytestmark = [pytest.mark.search]
both = pytest.mark.backends


def save(catalog: Catalog, key: str, *texts: str) -> int:
    segments = tuple(Segment(i * 4.0, i * 4.0 + 3.5, text) for i, text in enumerate(texts))
    return catalog.save_session(key, SessionMeta(title=key), [TrackInput(Transcript(segments=segments))])


def found(catalog: Catalog, query: str) -> list[tuple[int, float]]:
    results = catalog.search(SearchRequest(query, limit=50))
    assert results.total == len(results.hits)
    return [(h.segment_id, h.start) for h in results.hits]


@both
def test_a_correction_of_the_next_segment_makes_a_quote_over_the_cut(catalog):
    session = save(
        catalog, "council", "The council voted to", "approve the plan today.", "Then it adjourned."
    )
    first, second, _ = catalog.segments(session)
    assert found(catalog, '"voted to fund the parks"') == []
    catalog.staff.segments.correct(second.id, "fund the parks today.", "ann")
    assert found(catalog, '"voted to fund the parks"') == [(first.id, 0.0)]
    catalog.staff.segments.correct(first.id, "The council decided to", "ann")  # its own side of the cut
    assert found(catalog, '"voted to fund the parks"') == []
    assert found(catalog, '"decided to fund"') == [(first.id, 0.0)]
    assert catalog.ops.check() == []  # (on SQLite: the pairs kept equal the pairs built afresh)


@both
def test_a_refetch_that_drops_a_segment_joins_its_neighbours(catalog):
    save(catalog, "budget", "We will vote", "after a short recess", "on the budget tonight.")
    assert found(catalog, '"will vote on the budget"') == []
    session = save(catalog, "budget", "We will vote", "on the budget tonight.")
    assert found(catalog, '"will vote on the budget"') == [(catalog.segments(session)[0].id, 0.0)]
    save(catalog, "budget", "We will vote", "after a short recess", "on the budget tonight.")
    assert found(catalog, '"will vote on the budget"') == []
    assert found(catalog, '"will vote after a short"') == [(catalog.segments(session)[0].id, 0.0)]
    assert catalog.ops.check() == []


@both
def test_a_quote_runs_over_a_segment_without_words(catalog):
    session = save(catalog, "pause", "We will vote", "…", "on the budget tonight.")
    first = catalog.segments(session)[0]
    assert found(catalog, '"will vote on the budget"') == [(first.id, 0.0)]


@both
def test_removing_a_session_takes_its_cuts_with_it(catalog):
    kept = save(catalog, "kept", "Housing is", "a right for all.")
    gone = save(catalog, "gone", "Housing is", "a right for all.")
    assert len(found(catalog, '"housing is a right"')) == 2
    catalog.delete_session(gone)
    assert found(catalog, '"housing is a right"') == [(catalog.segments(kept)[0].id, 0.0)]
    assert catalog.ops.check() == []


# -- the pairs against the walk (SQLite: the pairs are its own) ----------------------------------------------------
WORDS = [
    "the",
    "a",
    "to",
    "of",
    "and",
    "we",
    "will",
    "vote",
    "on",
    "budget",
    "plan",
    "park",
    "housing",
    "right",
    "council",
    "city",
    "water",
    "road",
]


def seeded_archive(catalog: Catalog, seed: int) -> list[str]:
    """Sessions of short segments drawn from few words (many cuts, many crossings), and the phrases to look for:
    every 2 to 7 consecutive words around each cut and inside segments."""
    rng = random.Random(seed)
    phrases = set()
    for number in range(6):
        texts = [" ".join(rng.choices(WORDS, k=rng.randint(1, 5))) for _ in range(40)]
        save(catalog, f"s{number}", *texts)
        stream = " ".join(texts).split()
        for _ in range(60):
            size = rng.randint(2, 7)
            start = rng.randrange(len(stream) - size)
            phrases.add(" ".join(stream[start : start + size]))
    return sorted(phrases)


def test_the_pairs_answer_as_the_walk_of_every_window(catalog, monkeypatch):
    phrases = seeded_archive(catalog, 12)
    crossings = 0
    for phrase in phrases:
        request = SearchRequest(f'"{phrase}"', limit=100)
        monkeypatch.setattr(crosscut, "CUTS", True)
        fast = catalog.search(request)
        monkeypatch.setattr(crosscut, "CUTS", False)
        walked = catalog.search(request)
        assert [(h.segment_id, h.start, h.marked) for h in fast.hits] == [
            (h.segment_id, h.start, h.marked) for h in walked.hits
        ], phrase
        assert fast.total == walked.total, phrase
        crossings += sum(1 for h in walked.hits if phrase not in h.text.lower())
    assert len(phrases) > 200 and crossings > 50  # (hits over a cut: the segment alone does not say it)


def test_check_names_pairs_that_differ_from_the_segments(catalog):
    save(catalog, "council", "The council voted to", "approve the plan today.")
    assert catalog.ops.check() == []
    conn = sqlite3.connect(catalog.path)
    try:
        conn.execute("UPDATE impact_cuts SET pair = 'vote_fund'")
        conn.commit()
    finally:
        conn.close()
    (problem,) = catalog.ops.check()
    assert "impact_cuts" in problem and "1 stale, 1 missing" in problem


def test_an_older_catalog_gets_the_pairs_from_its_migration(tmp_path):
    catalog = Catalog.open(tmp_path / "catalog.db")
    session = save(catalog, "council", "The council voted to", "fund the parks today.")
    first = catalog.segments(session)[0]
    catalog.close()
    conn = sqlite3.connect(tmp_path / "catalog.db")
    for trigger in ("segments_cuts_ai", "segments_cuts_ad", "segments_cuts_au"):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DROP TABLE impact_cuts")
    conn.execute("DROP TABLE impact_cuts_pending")
    conn.execute("PRAGMA user_version = 13")  # as a version-13 catalog has it
    conn.commit()
    conn.close()
    catalog = Catalog.open(tmp_path / "catalog.db")
    try:
        assert found(catalog, '"voted to fund the parks"') == [(first.id, 0.0)]
        assert catalog.ops.check() == []
    finally:
        catalog.close()


def test_windows_are_marked_as_fts5_marks_them(tmp_path):
    """A lone phrase's few windows are matched and marked in Python when they are ASCII (``crosscut._marked_here``):
    the same windows, the same marks as FTS5's ``highlight()`` in a table of the windows' tokenizer, over texts of
    repeated words (instances that overlap, touch or stand apart), punctuation, digits and mixed case."""
    conn = sqlite3.connect(tmp_path / "oracle.db")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(text, tokenize='{crosscut.WINDOW_TOKENIZER}')")
    rng = random.Random(5)
    vocab = ["a", "b", "the", "The", "THE", "of", "o'neil", "x1", "2024", "co-op", "we're", "e_mail", "Parks"]
    separators = [" ", ", ", ". ", "-", "'", " (", ") ", "_", "  ", "; "]
    matched = 0
    for _ in range(3_000):
        text = "".join(w + rng.choice(separators) for w in rng.choices(vocab, k=rng.randint(1, 12))).strip()
        tokens = crosscut._ASCII_WORD.findall(text)
        if rng.random() < 0.7 and len(tokens) >= 2:
            i = rng.randrange(len(tokens) - 1)
            phrase = " ".join(tokens[i : i + rng.randint(2, min(4, len(tokens) - i))])
            phrase = phrase.upper() if rng.random() < 0.3 else phrase
        else:
            phrase = " ".join(rng.choices(vocab, k=rng.randint(2, 3)))
        conn.execute("DELETE FROM t")
        conn.execute("INSERT INTO t(rowid, text) VALUES (7, ?)", (text,))
        expected = conn.execute(
            "SELECT rowid, highlight(t, 0, char(2), char(3)) FROM t WHERE t MATCH ?",
            ('"' + phrase.replace('"', '""') + '"',),
        ).fetchall()
        assert crosscut._marked_here([(7, text)], phrase) == expected, (text, phrase)
        matched += bool(expected)
    assert matched > 1_500
    assert crosscut._marked_here([(1, "a a a b")], "a a") == [(1, "\x02a a a\x03 b")]  # overlapping: one span
    assert crosscut._marked_here([(1, "a b a b")], "a b") == [(1, "\x02a b\x03 \x02a b\x03")]  # touching: two
    assert crosscut._marked_here([(1, "café au lait")], "au lait") is None  # not ASCII: FTS5 marks it
    conn.close()
