"""A quoted phrase is found through the phrase index (catalog/store/pairs.py: each segment's adjacent token pairs),
ranked by FTS5's own bm25, and the index follows every write: ingest, correction, re-ingest, removal, load."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest

from catalog import Catalog, SearchRequest, SessionMeta, TrackInput
from catalog.store.schema import MIGRATIONS
from transcripts import Segment, Transcript

pytestmark = [pytest.mark.search]

TEXTS = (
    "The city council voted on the parks budget tonight.",
    "Parks budget, parks budget: we said it twice in one breath, the parks budget again.",
    "Running dogs are not allowed in the parks.",
    "A run dog is still a dog that ran, and the running dog stops here.",
    "Budget parks are cheaper parks with a budget.",
    "We will talk about the parks budget in a much longer segment that goes on and on about many other "
    "things before it finally ends with nothing more to say about anything at all today.",
    "parks",
    "",
)


def segments(texts=TEXTS):
    return tuple(Segment(i * 5.0, i * 5.0 + 4.0, text, "Ann Lee") for i, text in enumerate(texts))


def save(catalog: Catalog, key: str, texts=TEXTS, status: str | None = None) -> int:
    session_id = catalog.save_session(
        key, SessionMeta(title=key, date="2024-03-01"), [TrackInput(Transcript(segments=segments(texts)))]
    )
    if status:
        catalog.set_status(session_id, status)
    return session_id


@contextmanager
def raw(catalog: Catalog):
    conn = sqlite3.connect(catalog.path)
    try:
        yield conn
    finally:
        conn.close()


def ids(catalog: Catalog, query: str, **options) -> list[int]:
    return [hit.segment_id for hit in catalog.search(SearchRequest(query, limit=100, **options)).hits]


def fts5_ranking(catalog: Catalog, query: str, hidden: tuple[int, ...] = ()) -> list[int]:
    """FTS5's own answer: every match of the phrase ``ORDER BY bm25, rowid``, left-out sessions dropped."""
    with raw(catalog) as conn:
        left_out = f"AND s.session_id NOT IN ({','.join('?' * len(hidden))}) " if hidden else ""
        rows = conn.execute(
            "SELECT f.rowid FROM segments_fts f JOIN segments s ON s.id = f.rowid WHERE segments_fts MATCH ? "
            f"{left_out}ORDER BY bm25(segments_fts), f.rowid",
            (f'"{query}"', *hidden),
        )
        return [r[0] for r in rows]


def indexed_pairs(catalog: Catalog) -> dict[int, list[str]]:
    """The phrase index as it stands: each row's pair tokens in order."""
    with raw(catalog) as conn:
        conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, segment_pairs, instance)")
        found: dict[int, dict[int, str]] = {}
        for term, doc, offset in conn.execute("SELECT term, doc, offset FROM temp.v"):
            found.setdefault(doc, {})[offset] = term
    return {doc: [at[i] for i in sorted(at)] for doc, at in found.items()}


@pytest.mark.parametrize(
    "phrase",
    ["parks budget", "the parks budget", "running dog", "run dogs", "budget parks", "a dog that ran"],
)
def test_a_phrase_is_ranked_by_fts5s_own_bm25(catalog, phrase):
    """Counts (a phrase said three times), lengths, stems (``running dogs`` is ``run dog``) and left-out drafts:
    the page is FTS5's own order and count."""
    save(catalog, "one")
    save(catalog, "two", TEXTS[::-1])
    draft = save(catalog, "draft", status="draft")
    found = catalog.search(SearchRequest(f'"{phrase}"', limit=100))
    expected = fts5_ranking(catalog, phrase, hidden=(draft,))
    assert expected and [hit.segment_id for hit in found.hits] == expected
    assert found.total == len(expected)
    paged = [
        h.segment_id
        for o in range(0, found.total, 2)
        for h in catalog.search(SearchRequest(f'"{phrase}"', limit=2, offset=o)).hits
    ]
    assert paged == expected


@pytest.mark.backends
def test_the_phrase_index_follows_every_write(catalog):
    """A phrase said only after a correction is found, one corrected away is not, a re-ingest replaces, a removed
    session's phrases are gone."""
    session = save(catalog, "talk")
    assert len(ids(catalog, '"parks budget"')) == 3
    first = catalog.segments(session)[0]
    catalog.staff.segments.correct(first.id, "The council voted on the zoo levy tonight.", "ann")
    assert first.id not in ids(catalog, '"parks budget"') and len(ids(catalog, '"parks budget"')) == 2
    assert ids(catalog, '"zoo levy"') == [first.id]
    other = save(catalog, "other", TEXTS[:2])
    assert len(ids(catalog, '"parks budget"')) == 4
    save(catalog, "other", ("Nothing about money here.", "Only the zoo levy, said once."))  # re-ingested
    assert len(ids(catalog, '"parks budget"')) == 2 and len(ids(catalog, '"zoo levy"')) == 2
    catalog.delete_session(session)
    assert ids(catalog, '"parks budget"') == []
    assert ids(catalog, '"zoo levy"') == [catalog.segments(other)[1].id]


def test_the_phrase_index_holds_exactly_the_pairs_of_the_text_and_check_says_when_not(catalog):
    session = save(catalog, "talk")
    catalog.staff.segments.correct(catalog.segments(session)[2].id, "Dogs may run in the parks.", "ann")
    save(catalog, "other", TEXTS[:3])
    pairs = indexed_pairs(catalog)
    by_id = {s.id: s for s in catalog.segments(session)}
    assert pairs[by_id[min(by_id) + 2].id] == ["dog_mai", "mai_run", "run_in", "in_the", "the_park"]
    assert min(by_id) + 6 not in pairs and min(by_id) + 7 not in pairs  # one word, no words: no pairs
    assert catalog.ops.check() == []
    with raw(catalog) as conn:
        conn.execute("INSERT INTO segment_pairs(rowid, pairs) VALUES (?, 'zoo_levy')", (min(by_id),))
        conn.commit()
    problems = catalog.ops.check()
    assert any("segment_pairs" in p and "1 stale" in p for p in problems)


def test_the_migration_builds_the_phrase_index_for_an_existing_catalog(tmp_path: Path):
    """A catalog made before the phrase index gets it when it is opened, and finds its phrases through it."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    before = next(n for n, script in enumerate(MIGRATIONS) if "VIRTUAL TABLE segment_pairs" in script)
    for migration in MIGRATIONS[:before]:
        conn.executescript(migration)
    conn.execute(f"PRAGMA user_version = {before}")
    conn.execute(
        "INSERT INTO sessions (id, source_key, title, segment_count, has_transcript, created_at, updated_at) "
        "VALUES (1, 'old', 'Old', 2, 1, 'x', 'x')"
    )
    for position, text in enumerate(TEXTS[:2]):
        conn.execute(
            "INSERT INTO segments (session_id, position, start, end, text) VALUES (1, ?, ?, ?, ?)",
            (position, position * 5.0, position * 5.0 + 4, text),
        )
    conn.execute("DELETE FROM impact_pending")  # (as the impact lists' own migration leaves it: built)
    conn.commit()
    conn.close()
    catalog = Catalog.open(path)
    try:
        assert sorted(indexed_pairs(catalog)) == [1, 2]
        assert ids(catalog, '"parks budget"') == fts5_ranking(catalog, "parks budget") == [2, 1]
        assert catalog.ops.check() == []
    finally:
        catalog.close()


def test_a_loaded_archive_has_its_phrase_index(catalog, tmp_path):
    save(catalog, "talk")
    catalog.ops.dump(tmp_path / "data", tmp_path / "dump")
    loaded = Catalog.open(tmp_path / "copy" / "catalog.db")
    try:
        loaded.ops.load(tmp_path / "copy", tmp_path / "dump")
        assert len(ids(loaded, '"parks budget"')) == 3
        assert loaded.ops.check() == []
    finally:
        loaded.close()
