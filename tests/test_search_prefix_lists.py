"""Prefix lists (issue 12): a prefix with many matches is ranked by exact bm25 from its list, and the lists stay
exact through every kind of write.

FTS5 scores ``pre*`` as one phrase: its count in a segment is the sum of its terms' counts, its df the segments
holding any. The reference is FTS5's own ``bm25()`` over every match, ties by segment id (``exact_bm25``). The
archive is the seeded Zipf one of ``test_search_impact.py``, whose made-up words share syllables, so their
prefixes branch.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter, defaultdict

import pytest

from catalog import Catalog, SearchRequest
from catalog.search import lists, paths, prefixes
from catalog.store import impact, prefix_lists
from tests.test_search_impact import exact_bm25, generated_sessions, ingest
from transcripts import Segment


def prefix_lists_are_exact(path) -> int:
    """Every prefix list holds its exact df and exactly the segments its rule says, and every frequent branch
    has one (brute force over FTS5's instances); how many lists there are."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.inst USING fts5vocab(main, segments_fts, instance)")
        tfs: dict[str, Counter] = defaultdict(Counter)
        lengths: Counter = Counter()
        for term, doc in conn.execute("SELECT term, doc FROM temp.inst"):
            tfs[term][doc] += 1
            lengths[doc] += 1
        assert conn.execute("SELECT count(*) FROM impact_pending").fetchone()[0] == 0
        (avgdl,) = conn.execute("SELECT avgdl FROM impact_meta").fetchone()
        stored = conn.execute("SELECT id, prefix, df, theta, size FROM impact_prefixes").fetchall()
        for prefix_id, prefix, df, theta, size in stored:
            counts: Counter = Counter()
            for term, found in tfs.items():
                if term.startswith(prefix):
                    counts.update(found)
            assert df == len(counts), prefix
            listed = {
                sid: (tf, dl)
                for sid, tf, dl in conn.execute(
                    "SELECT segment_id, tf, dl FROM impact_prefix_postings WHERE prefix_id = ?", (prefix_id,)
                )
            }
            wanted = {
                doc: (tf, lengths[doc])
                for doc, tf in counts.items()
                if impact.weight(tf, lengths[doc], avgdl) >= theta
            }
            assert listed == wanted, prefix
            assert size == len(listed), prefix
        terms = sorted(tfs)
        have = {prefix for _id, prefix, *_ in stored}
        for prefix in {t[:n] for t in terms for n in range(1, len(t) + 1)}:
            under = [t for t in terms if t.startswith(prefix)]
            branch = len(under) > 1 and os.path.commonprefix([under[0], under[-1]]) == prefix
            if branch and sum(len(tfs[t]) for t in under) >= impact.MIN_DF:
                assert prefix in have, prefix
        return len(stored)
    finally:
        conn.close()


@pytest.fixture
def small_lists(monkeypatch):
    monkeypatch.setattr(impact, "MIN_DF", 40)
    monkeypatch.setattr(impact, "LIST_SIZE", 12)
    monkeypatch.setattr(prefix_lists, "WALK_STEP", 1)  # every grown term's branches checked: none is missed


def branches(path, least: int) -> list[str]:
    """Listed prefixes whose terms are several, said in at least ``least`` segments."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT prefix FROM impact_prefixes WHERE df >= ? AND length(prefix) >= 2 ORDER BY df DESC, prefix",
            (least,),
        ).fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


def assert_exact(catalog: Catalog, prefix: str, offset: int = 0) -> None:
    results = catalog.search(SearchRequest(f"{prefix}*", limit=20, offset=offset))
    ref, total = exact_bm25(catalog.path, f'"{prefix}"*')
    if offset:
        ref = exact_full(catalog.path, f'"{prefix}"*')[offset : offset + 20]
    assert results.ordered_by == "relevance", prefix
    assert [h.segment_id for h in results.hits] == ref, prefix
    assert results.total == total, prefix


def exact_full(path, match: str) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT f.rowid FROM segments_fts f JOIN segments s ON s.id = f.rowid JOIN sessions se "
            "ON se.id = s.session_id WHERE segments_fts MATCH ? AND se.status = 'published' "
            "ORDER BY bm25(segments_fts), f.rowid",
            (match,),
        ).fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


def test_prefix_lists_stay_exact_through_ingest_edits_reingest_and_deletes(tmp_path, small_lists):
    catalog = Catalog.open(tmp_path / "catalog.db")
    items = list(generated_sessions(5, 6, 60))
    ids = ingest(catalog, items[:3])
    assert prefix_lists_are_exact(catalog.path) >= 5  # branches became frequent as the archive grew: lists
    hit = catalog.search(SearchRequest("ko*", limit=1)).hits[0].segment_id
    catalog.staff.segments.correct(hit, "Kokoba kori koba.", "ann")  # a short line, all "ko": the best now
    prefix_lists_are_exact(catalog.path)
    assert catalog.search(SearchRequest("ko*", limit=1)).hits[0].segment_id == hit
    key, meta, lines = items[1]
    ingest(catalog, [(key, meta, lines[:25] + [Segment(999.0, 1000.0, "Kori kori the of", None)])])
    prefix_lists_are_exact(catalog.path)
    catalog.delete_session(ids[2])
    ingest(catalog, items[3:])
    prefix_lists_are_exact(catalog.path)
    catalog.set_status(ids[0], "draft")  # visibility is the search's: its segments are left out of the page
    found = branches(catalog.path, 100)
    assert len(found) >= 3
    for prefix in found[:6]:
        assert_exact(catalog, prefix)
    catalog.close()


def test_a_catalog_made_before_the_prefix_lists_gets_them_from_its_migration(tmp_path, small_lists):
    catalog = Catalog.open(tmp_path / "catalog.db")
    ingest(catalog, generated_sessions(6, 3, 50))
    catalog.close()
    conn = sqlite3.connect(tmp_path / "catalog.db")
    conn.execute("DROP TABLE impact_prefixes")
    conn.execute("DROP TABLE impact_prefix_postings")
    conn.execute("DROP TABLE segment_pairs")  # migration 12's phrase index, made again with it
    for trigger in ("segments_cuts_ai", "segments_cuts_ad", "segments_cuts_au"):
        conn.execute(f"DROP TRIGGER {trigger}")  # migration 14's pairs around segment cuts, likewise
    conn.execute("DROP TABLE impact_cuts")
    conn.execute("DROP TABLE impact_cuts_pending")
    conn.execute("PRAGMA user_version = 11")  # as a version-11 catalog has it
    conn.commit()
    conn.close()
    catalog = Catalog.open(tmp_path / "catalog.db")
    assert prefix_lists_are_exact(catalog.path) >= 5
    for prefix in branches(catalog.path, 40)[:4]:
        assert_exact(catalog, prefix)
    catalog.close()


@pytest.fixture(scope="module")
def prefix_archive(tmp_path_factory):
    catalog = Catalog.open(tmp_path_factory.mktemp("prefix-lists") / "catalog.db")
    ingest(catalog, generated_sessions(12, 20, 600))  # 12,000 segments
    yield catalog
    catalog.close()


def test_a_prefix_said_too_often_to_scan_is_ranked_by_bm25_from_its_list(prefix_archive, monkeypatch):
    """Past what the scan takes (and what FTS5's bm25 is asked to rank), a prefix used to be listed newest
    first; its list ranks it by exact bm25, with its exact total, on the first page and on later ones."""
    monkeypatch.setattr(lists, "PREFIX_SCAN_LIMIT", 200)
    monkeypatch.setattr(paths, "PREFIX_RANK_LIMIT", 200)
    found = branches(prefix_archive.path, 1_000)
    assert len(found) >= 3
    for prefix in found[:5]:
        assert_exact(prefix_archive, prefix)
    assert_exact(prefix_archive, found[0], offset=40)
    # a shorter prefix standing for the same terms (no other term starts with it) uses the same list
    conn = sqlite3.connect(prefix_archive.path)
    shorter = []
    for prefix in branches(prefix_archive.path, 1_000):
        first, last = conn.execute(
            "SELECT min(term), max(term) FROM impact_terms WHERE term >= ? AND term < ? AND df > 0",
            (prefix[:-1], prefix[:-1] + "\uffff"),
        ).fetchone()
        if first.startswith(prefix) and last.startswith(prefix) and len(prefix) > 2:
            shorter.append(prefix[:-1])
    conn.close()
    assert shorter
    for stem in shorter[:3]:
        assert_exact(prefix_archive, stem)


def test_a_prefix_of_one_term_is_ranked_from_that_terms_list(prefix_archive, monkeypatch):
    monkeypatch.setattr(lists, "PREFIX_SCAN_LIMIT", 200)
    monkeypatch.setattr(paths, "PREFIX_RANK_LIMIT", 200)
    conn = sqlite3.connect(prefix_archive.path)
    rows = conn.execute("SELECT term FROM impact_terms WHERE theta IS NOT NULL ORDER BY df DESC").fetchall()
    terms = sorted(t for (t,) in rows)
    conn.close()
    alone = [
        t[:-1]
        for i, t in enumerate(terms)
        if len(t) > 3 and not any(o.startswith(t[:-1]) for o in terms[:i] + terms[i + 1 :])
    ]
    checked = 0
    for stem in alone[:6]:
        conn = sqlite3.connect(prefix_archive.path)
        under = conn.execute(
            "SELECT count(*) FROM impact_terms WHERE term >= ? AND term < ? AND df > 0",
            (stem, stem + "\uffff"),
        ).fetchone()[0]
        conn.close()
        if under == 1:
            assert_exact(prefix_archive, stem)
            checked += 1
    assert checked >= 2


def test_switched_off_the_same_prefix_is_listed_newest_first(prefix_archive, monkeypatch):
    """What the lists change, seen by a user: without them, the same search is in date order."""
    monkeypatch.setattr(lists, "PREFIX_SCAN_LIMIT", 200)
    monkeypatch.setattr(paths, "PREFIX_RANK_LIMIT", 200)
    monkeypatch.setattr(prefixes, "USE", False)
    prefix = branches(prefix_archive.path, 1_000)[0]
    assert prefix_archive.search(SearchRequest(f"{prefix}*", limit=20)).ordered_by == "date"


def test_check_names_a_prefix_list_that_differs_from_the_index(tmp_path, small_lists):
    catalog = Catalog.open(tmp_path / "catalog.db")
    ingest(catalog, generated_sessions(7, 3, 60))
    assert catalog.ops.check() == []
    conn = sqlite3.connect(catalog.path)
    prefix, prefix_id = conn.execute(
        "SELECT prefix, id FROM impact_prefixes WHERE size > 0 ORDER BY df DESC LIMIT 1"
    ).fetchone()
    (segment_id,) = conn.execute(
        "SELECT segment_id FROM impact_prefix_postings WHERE prefix_id = ? LIMIT 1", (prefix_id,)
    ).fetchone()
    conn.execute(
        "DELETE FROM impact_prefix_postings WHERE prefix_id = ? AND segment_id = ?", (prefix_id, segment_id)
    )
    conn.commit()
    conn.close()
    found = catalog.ops.check()
    assert any(p.startswith(f"prefix list {prefix!r}") for p in found), found
    catalog.close()
