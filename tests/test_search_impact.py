"""Impact lists (issue 12): searches on frequent words ranked by exact bm25, and lists that stay exact through writes.

The reference everywhere is FTS5's own ``bm25()`` over *all* matches, ties by segment id (what
``docs/benchmarks.md`` calls exact BM25). The archive is generated here (seeded): words drawn with a Zipf law from
a made-up vocabulary, so that a few words are in most segments and most words in a handful, as in speech.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter, defaultdict

import pytest

from catalog import Catalog, SearchRequest, SessionMeta, SpeakerCredit, TrackInput
from catalog.search import paths
from catalog.store import impact
from transcripts import Segment, Transcript

FUNCTION_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "that",
    "is",
    "we",
    "it",
    "for",
    "you",
    "this",
    "on",
    "be",
    "are",
    "with",
    "have",
    "our",
    "not",
]
SYLLABLES = [
    "ba",
    "ko",
    "ri",
    "sen",
    "tal",
    "mo",
    "der",
    "vi",
    "lu",
    "pra",
    "nes",
    "go",
    "fi",
    "ther",
    "cal",
    "min",
    "dor",
    "pe",
    "sta",
    "vel",
]
SPEAKERS = [f"Mayor Person{n}" for n in range(8)]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words = list(FUNCTION_WORDS)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def generated_sessions(seed: int, sessions: int, per_session: int):
    """(key, meta, segments) of a seeded archive: Zipf-drawn words, 6 to 30 a segment, 3 speakers a session."""
    rng = random.Random(seed)
    words = vocabulary(rng, 4000)
    weights = [1 / (rank + 2.7) for rank in range(len(words))]
    for number in range(sessions):
        cast = rng.sample(SPEAKERS, 3)
        lines = []
        for i in range(per_session):
            text = " ".join(rng.choices(words, weights, k=rng.randint(6, 30)))
            lines.append(Segment(i * 3.0, i * 3.0 + 3.0, text.capitalize() + ".", cast[(i // 4) % 3]))
        meta = SessionMeta(
            title=f"Session {number}",
            date=f"20{10 + number % 15:02d}-0{1 + number % 9}-1{number % 10}",
            speakers=tuple(SpeakerCredit(name) for name in cast),
        )
        yield f"gen:{seed}:{number}", meta, lines


def ingest(catalog: Catalog, items) -> list[int]:
    return [
        catalog.save_session(key, meta, [TrackInput(Transcript(segments=tuple(lines)))])
        for key, meta, lines in items
    ]


def exact_bm25(path, match: str, where: str = "1", params: tuple = ()) -> tuple[list[int], int]:
    """(top 20 segment ids by FTS5's bm25 over every match, ties by id; how many match), published sessions only."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT f.rowid FROM segments_fts f JOIN segments s ON s.id = f.rowid JOIN sessions se "
            f"ON se.id = s.session_id WHERE segments_fts MATCH ? AND se.status = 'published' AND {where} "
            "ORDER BY bm25(segments_fts), f.rowid",
            (match, *params),
        ).fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows[:20]], len(rows)


def lists_are_exact(path) -> None:
    """Every term's df is FTS5's, and every list holds exactly the segments its rule says (brute force)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.inst USING fts5vocab(main, segments_fts, instance)")
        tfs: dict[str, Counter] = defaultdict(Counter)
        for term, doc in conn.execute("SELECT term, doc FROM temp.inst"):
            tfs[term][doc] += 1
        lengths: Counter = Counter()
        for counter in tfs.values():
            for doc, n in counter.items():
                lengths[doc] += n
        assert conn.execute("SELECT count(*) FROM impact_pending").fetchone()[0] == 0
        (avgdl,) = conn.execute("SELECT avgdl FROM impact_meta").fetchone()
        stored = conn.execute("SELECT id, term, df, theta, size FROM impact_terms").fetchall()
        live = {term: df for _id, term, df, _theta, _size in stored if df}
        assert live == {term: len(c) for term, c in tfs.items()}
        for term_id, term, _df, theta, size in stored:
            listed = {
                sid: (tf, dl)
                for sid, tf, dl in conn.execute(
                    "SELECT segment_id, tf, dl FROM impact_postings WHERE term_id = ?", (term_id,)
                )
            }
            if theta is None:
                assert not listed and len(tfs.get(term, ())) < impact.MIN_DF, term
                continue
            wanted = {
                doc: (tf, lengths[doc])
                for doc, tf in tfs.get(term, {}).items()
                if impact.weight(tf, lengths[doc], avgdl) >= theta
            }
            assert listed == wanted, term
            assert size == len(listed), term
    finally:
        conn.close()


# -- the lists through every kind of write --------------------------------------------------------------------
@pytest.fixture
def small_lists(monkeypatch):
    monkeypatch.setattr(impact, "MIN_DF", 40)
    monkeypatch.setattr(impact, "LIST_SIZE", 12)


def test_lists_stay_exact_through_ingest_edits_reingest_and_deletes(tmp_path, small_lists):
    catalog = Catalog.open(tmp_path / "catalog.db")
    items = list(generated_sessions(3, 6, 60))
    ids = ingest(catalog, items[:4])
    lists_are_exact(catalog.path)  # words crossed MIN_DF while the archive grew: they got lists
    conn = sqlite3.connect(catalog.path)
    frequent = conn.execute("SELECT count(*) FROM impact_terms WHERE theta > 0").fetchone()[0]
    conn.close()
    assert frequent >= 5

    staff = catalog.staff
    segment = catalog.search(SearchRequest("the", limit=1)).hits[0].segment_id
    staff.segments.correct(segment, "The the the short line.", "ann")  # now the best segment for "the"
    lists_are_exact(catalog.path)
    assert catalog.search(SearchRequest("the", limit=1)).hits[0].segment_id == segment

    key, meta, lines = items[1]
    ingest(catalog, [(key, meta, lines[:30] + [Segment(999.0, 1000.0, "the of the and", None)])])  # re-ingest
    lists_are_exact(catalog.path)
    catalog.delete_session(ids[2])
    ingest(catalog, items[4:])
    lists_are_exact(catalog.path)
    catalog.set_status(ids[0], "draft")  # visibility is the search's: the lists keep the draft's segments
    lists_are_exact(catalog.path)
    for word in ("the", "of", "and"):
        found = catalog.search(SearchRequest(word, limit=20))
        ref, total = exact_bm25(catalog.path, f'"{word}"')
        assert [h.segment_id for h in found.hits] == ref and found.total == total
    catalog.close()


def test_a_catalog_made_before_the_lists_gets_them_from_its_migration(tmp_path, small_lists):
    catalog = Catalog.open(tmp_path / "catalog.db")
    ingest(catalog, generated_sessions(4, 3, 50))
    catalog.close()
    conn = sqlite3.connect(tmp_path / "catalog.db")
    tables = ("impact_pending", "impact_postings", "impact_terms", "impact_meta", "impact_prefixes")
    for table in (*tables, "impact_prefix_postings"):
        conn.execute(f"DROP TABLE {table}")  # as a version-10 catalog has it
    for trigger in ("segments_impact_ai", "segments_impact_ad", "segments_impact_au"):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DROP TABLE segment_pairs")  # (migration 12's phrase index)
    for trigger in ("segments_cuts_ai", "segments_cuts_ad", "segments_cuts_au"):
        conn.execute(f"DROP TRIGGER {trigger}")  # (migration 14's pairs around segment cuts)
    conn.execute("DROP TABLE impact_cuts")
    conn.execute("DROP TABLE impact_cuts_pending")
    conn.execute("PRAGMA user_version = 10")
    conn.commit()
    conn.close()
    catalog = Catalog.open(tmp_path / "catalog.db")
    lists_are_exact(catalog.path)
    ref, total = exact_bm25(catalog.path, '"the"')
    found = catalog.search(SearchRequest("the", limit=20))
    assert [h.segment_id for h in found.hits] == ref and found.total == total
    catalog.close()


# -- agreement with exact bm25, per query class -------------------------------------------------------------
@pytest.fixture
def answered(monkeypatch) -> list[bool]:
    """Whether each search's impact lists decided its page (``paths._from_lists`` gave one), in order."""
    found: list[bool] = []
    original = paths._from_lists

    def spy(*args):
        page = original(*args)
        found.append(page is not None)
        return page

    monkeypatch.setattr(paths, "_from_lists", spy)
    return found


@pytest.fixture(scope="module")
def mid_archive(tmp_path_factory):
    """~24,000 segments: 'the' in about 40% of them, the commonest words over the list threshold."""
    catalog = Catalog.open(tmp_path_factory.mktemp("impact") / "catalog.db")
    ingest(catalog, generated_sessions(11, 30, 800))
    yield catalog
    catalog.close()


def classes(path) -> dict[str, list[tuple[str, dict, str, str, tuple]]]:
    """(query typed, request options, FTS5 expression, reference filter, its params) per class."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIRTUAL TABLE temp.rows USING fts5vocab(main, segments_fts, row)")
    by_df = conn.execute(
        "SELECT term, doc FROM temp.rows WHERE term GLOB '[a-z]*' ORDER BY doc DESC"
    ).fetchall()
    speakers = conn.execute("SELECT id, name FROM speakers ORDER BY id LIMIT 4").fetchall()
    text = [r[0] for r in conn.execute("SELECT text FROM segments WHERE id % 997 = 0 LIMIT 10")]
    conn.close()
    surface = {}
    for word in vocabulary(random.Random(11), 4000):  # the unstemmed word for each indexed term
        surface.setdefault(word.lower(), word)
    plain = [(t, df) for t, df in by_df if t in surface]
    common = [t for t, df in plain if 1_000 <= df <= 8_000][:8]
    middle = [t for t, df in plain if 100 <= df <= 900][:16]
    rare = [t for t, df in plain if 2 <= df <= 20][:8]
    prefixes = sorted({t[:3] for t, df in plain[5:40]})[:8]

    def q(user, fts, where="1", params=(), **options):
        return (user, options, fts, where, params)

    def phrase(line):
        words = line.rstrip(".").lower().split()
        return " ".join(words[2:5])

    return {
        "the": [q("the", '"the"')],
        "common word": [q(w, f'"{w}"') for w in common],
        # (said in more than crosscut.TOTAL_LIMIT segments: no hit across a cut joins them)
        "AND of common words": [q(f"{a} {b}", f'"{a}" AND "{b}"') for a in ("the", "of") for b in common[:4]],
        "OR": [q(f"{a} OR {b}", f'"{a}" OR "{b}"') for a, b in zip(middle[::2], middle[1::2], strict=False)],
        "rare word": [q(w, f'"{w}"') for w in rare],
        "3-word phrase": [q(f'"{phrase(t)}"', f'"{phrase(t)}"') for t in text],
        "prefix": [q(f"{p}*", f'"{p}"*') for p in prefixes],
        "speaker filter": [
            q(w, f'"{w}"', "s.speaker_id = ?", (sid,), speaker=name)
            for (sid, name), w in zip(speakers, common, strict=False)
        ],
    }


def agreement(catalog: Catalog) -> dict[str, float]:
    found = {}
    for name, queries in classes(catalog.path).items():
        scores = []
        for user, options, fts, where, params in queries:
            results = catalog.search(SearchRequest(user, limit=20, **options))
            ref, total = exact_bm25(catalog.path, fts, where, params)
            assert results.total == total, (name, user)
            got = [h.segment_id for h in results.hits]
            scores.append(len(set(got) & set(ref)) / max(len(ref), 1))
        assert scores, name
        found[name] = sum(scores) / len(scores)
    return found


def test_top_20_agrees_with_exact_bm25_in_every_class(mid_archive):
    found = agreement(mid_archive)
    assert {k: v for k, v in found.items() if v < 0.95} == {}, found


def test_frequent_words_are_answered_from_the_lists(mid_archive, answered):
    for word in ("the", "of"):
        results = mid_archive.search(SearchRequest(word, limit=20))
        assert results.ordered_by == "relevance"
    assert answered == [True, True]


def test_snippets_made_from_the_text_are_fts5s_own(mid_archive):
    """Plain words, a prefix and a phrase get their short segments' snippets from the fetched text: each hit's
    marked text is exactly what FTS5's ``snippet()`` gives for that segment, and its start is the first match."""
    conn = sqlite3.connect(mid_archive.path)
    try:
        for user, match in (("the", '"the"'), ("of", '"of"'), ("the of", '"the" AND "of"'), ("ko*", '"ko"*'),
                            ('"of the"', '"of the"'), ('"the the"', '"the the"')):  # fmt: skip
            results = mid_archive.search(SearchRequest(user, limit=20))
            assert results.hits, user
            compared = 0
            for hit in results.hits:
                row = conn.execute(
                    f"SELECT {paths.SNIPPET} FROM segments_fts WHERE segments_fts MATCH ? AND rowid = ?",
                    (match, hit.segment_id),
                ).fetchone()
                if row is None:  # a hit across a segment cut (crosscut.py makes its own snippet)
                    continue
                assert hit.marked == row[0], (user, hit.segment_id)
                compared += 1
            assert compared >= 10, user
    finally:
        conn.close()


def test_an_archive_begun_empty_keeps_its_lists_at_its_own_segment_length(tmp_path, small_lists, answered):
    """A new archive's lists are made by its migration over no segments at all (a reference length of 1.0 token);
    the first writes move them to the archive's own mean length, and the common words are then ranked from the
    lists: bm25 order read from a few listed segments, not every match scored or listed newest first."""
    catalog = Catalog.open(tmp_path / "catalog.db")
    conn = sqlite3.connect(catalog.path)
    assert conn.execute("SELECT avgdl FROM impact_meta").fetchone()[0] == 1.0  # as the migration left it
    ingest(catalog, generated_sessions(5, 8, 120))
    rows, tokens = impact.averages(conn)
    (reference,) = conn.execute("SELECT avgdl FROM impact_meta").fetchone()
    conn.close()
    assert abs(reference / (tokens / rows) - 1) <= 0.2, (reference, tokens / rows)
    lists_are_exact(catalog.path)
    for word in ("the", "of", "and", "to"):
        found = catalog.search(SearchRequest(word, limit=5))
        ref, total = exact_bm25(catalog.path, f'"{word}"')
        assert [h.segment_id for h in found.hits] == ref[:5] and found.total == total
    assert answered == [True] * 4
    catalog.close()


def test_lists_made_at_another_length_are_refitted_by_migration_15(tmp_path, small_lists, monkeypatch):
    """An archive that grew past the size a write rebuilds at while its lists sat at 1.0 token (made before the
    lists followed the length) gets them at its own length when it is opened; its searches answer as before."""
    monkeypatch.setattr(
        impact, "REBUILD_ROWS", 0
    )  # (no write rebuilds: the lists stay where the migration put them)
    catalog = Catalog.open(tmp_path / "catalog.db")
    ingest(catalog, generated_sessions(6, 4, 80))
    before = [h.segment_id for h in catalog.search(SearchRequest("the", limit=10)).hits]
    catalog.close()
    conn = sqlite3.connect(tmp_path / "catalog.db")
    assert conn.execute("SELECT avgdl FROM impact_meta").fetchone()[0] == 1.0
    conn.execute("PRAGMA user_version = 14")  # as this catalog was before migration 15
    conn.commit()
    catalog = Catalog.open(tmp_path / "catalog.db")
    rows, tokens = impact.averages(conn)
    assert conn.execute("SELECT avgdl FROM impact_meta").fetchone()[0] == pytest.approx(tokens / rows)
    conn.close()
    lists_are_exact(catalog.path)
    assert [h.segment_id for h in catalog.search(SearchRequest("the", limit=10)).hits] == before
    ref, _total = exact_bm25(catalog.path, '"the"')
    assert before == ref[:10]
    catalog.close()


def test_migration_16_lists_the_rare_words_a_catalog_before_it_left_without(tmp_path, small_lists):
    """Before migration 16 a word said in fewer than ``MIN_DF`` segments had no list (``theta`` NULL) and FTS5
    scored all its matches; opened, the catalog lists every such word completely, and every search answers as
    before, now from the lists."""
    catalog = Catalog.open(tmp_path / "catalog.db")
    ingest(catalog, generated_sessions(7, 4, 80))
    catalog.close()
    conn = sqlite3.connect(tmp_path / "catalog.db")
    rare = [
        t for (t,) in conn.execute("SELECT term FROM impact_terms WHERE theta = 0 AND df BETWEEN 2 AND 30")
    ]
    conn.execute(
        "DELETE FROM impact_postings WHERE term_id IN (SELECT id FROM impact_terms WHERE theta = 0)"
    )  # as a catalog before migration 16 has them
    conn.execute("UPDATE impact_terms SET theta = NULL, size = 0 WHERE theta = 0")
    conn.execute("PRAGMA user_version = 15")
    conn.commit()
    assert len(rare) >= 10
    catalog = Catalog.open(tmp_path / "catalog.db")
    assert conn.execute("SELECT count(*) FROM impact_terms WHERE theta IS NULL").fetchone()[0] == 0
    conn.close()
    lists_are_exact(catalog.path)
    for word in rare[:10]:
        found = catalog.search(SearchRequest(word, limit=20))
        ref, total = exact_bm25(catalog.path, f'"{word}"')
        assert [h.segment_id for h in found.hits] == ref and found.total == total, word
    catalog.close()


def test_check_says_when_the_lists_are_off_the_archives_length_and_compact_lists_rebuilds_them(
    tmp_path, small_lists, monkeypatch, answered
):
    """Past ``impact.REBUILD_ROWS`` segments no write rebuilds the lists when the archive's mean segment length moves
    away from theirs (a rebuild reads the whole index). ``check`` says so, naming both lengths, and ``compact
    --lists`` rebuilds them at the archive's length in its one transaction; then ``check`` is quiet, the lists are
    exact, and a common word is ranked from them."""
    import json

    from click.testing import CliRunner

    from uscm_archive.cli import cli

    monkeypatch.setattr(impact, "REBUILD_ROWS", 0)  # (an archive "too large": the lists stay at 1.0 token)
    catalog = Catalog.open(tmp_path / "catalog.db")
    ingest(catalog, generated_sessions(6, 4, 80))
    catalog.close()
    conn = sqlite3.connect(tmp_path / "catalog.db")
    rows, tokens = impact.averages(conn)
    assert conn.execute("SELECT avgdl FROM impact_meta").fetchone()[0] == 1.0 and tokens / rows > 5
    conn.close()

    def run(*args: str):
        return CliRunner().invoke(cli, ["--data", str(tmp_path), *args])

    checked = run("check", "--quick")
    assert checked.exit_code == 0, checked.output
    assert (
        f"made at a mean segment length of 1.0 tokens and the archive's is {tokens / rows:.1f}"
        in checked.output
    )
    assert "compact --lists" in checked.output
    done = run("compact", "--json")  # without --lists: the lists are left alone
    assert json.loads(done.stdout)["lists"] is None
    done = run("compact", "--lists", "--json")
    assert done.exit_code == 0, done.output
    lists = json.loads(done.stdout)["lists"]
    assert (
        lists["rebuilt"]
        and lists["reference"] == 1.0
        and lists["mean"] == pytest.approx(tokens / rows, abs=1e-3)
    )
    conn = sqlite3.connect(tmp_path / "catalog.db")
    assert conn.execute("SELECT avgdl FROM impact_meta").fetchone()[0] == pytest.approx(tokens / rows)
    conn.close()
    assert "impact lists" not in run("check", "--quick").output
    again = json.loads(run("compact", "--lists", "--json").stdout)["lists"]
    assert again["rebuilt"] is False and again["reference"] is None  # (not due: nothing to do)
    lists_are_exact(tmp_path / "catalog.db")
    catalog = Catalog.open(tmp_path / "catalog.db")
    results = catalog.search(SearchRequest("the", limit=10))
    catalog.close()
    ref, _total = exact_bm25(tmp_path / "catalog.db", '"the"')
    assert [h.segment_id for h in results.hits] == ref[:10] and answered[-1] is True
