"""OR of two words and the speaker filter ranked from the impact lists (``catalog/search/either.py``, issue 12).

Each page must be exactly FTS5's own ``bm25()`` order over every match (ties by segment id), with the exact total,
on every page, with drafts left out, and after staff edits, while the lists (not FTS5 scoring every match) answer:
a spy on the list paths says they did. Lists are made small here (``LIST_SIZE`` 30) so that an archive of a few
thousand segments has words whose lists were cut back and rare words whose lists are complete (every segment).
"""

from __future__ import annotations

import random
import sqlite3

import pytest

from catalog import Catalog, SearchRequest
from catalog.search import either, paths
from catalog.store import impact
from tests.test_search_impact import generated_sessions, ingest, vocabulary

SEED = 21


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(impact, "MIN_DF", 40)
        patch.setattr(impact, "LIST_SIZE", 30)
        catalog = Catalog.open(tmp_path_factory.mktemp("either") / "catalog.db")
        ids = ingest(catalog, generated_sessions(SEED, 10, 300))
        catalog.set_status(ids[3], "draft")  # left out of every search: the page must skip its segments
        yield catalog
        catalog.close()


def reference(path, match: str, speaker_id: int | None = None) -> tuple[list[int], int]:
    """Every published match in FTS5's bm25 order (ties by id), and how many there are."""
    where, params = ("AND s.speaker_id = ?", (speaker_id,)) if speaker_id is not None else ("", ())
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT f.rowid FROM segments_fts f JOIN segments s ON s.id = f.rowid JOIN sessions se "
            f"ON se.id = s.session_id WHERE segments_fts MATCH ? AND se.status = 'published' {where} "
            "ORDER BY bm25(segments_fts), f.rowid",
            (match, *params),
        ).fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows], len(rows)


def words(path) -> tuple[list[str], list[str]]:
    """(words with a list cut back, ``theta`` > 0; words said in 8 to 39 segments, their lists complete), each one
    its own indexed term."""
    surface = set(
        vocabulary(random.Random(SEED), 4000)
    )  # the archive's words (generated_sessions draws them first)
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT term, df, theta FROM impact_terms WHERE df > 0 ORDER BY df DESC"
        ).fetchall()
    finally:
        conn.close()
    plain = [(t, df, theta) for t, df, theta in rows if t in surface]
    listed = [t for t, df, theta in plain if theta and df <= 900][:8]
    unlisted = [t for t, df, theta in plain if theta == 0 and 8 <= df < 40][:6]
    return listed, unlisted


@pytest.fixture
def spied(monkeypatch):
    """Which of the list paths answered (a page) and which gave up (``None``)."""
    answered: list[tuple[str, bool]] = []
    or_page, scores = either.or_page, either.scores

    def spy_or(*args):
        found = or_page(*args)
        answered.append(("or", found is not None))
        return found

    def spy_scores(*args):
        found = scores(*args)
        answered.append(("scores", found is not None))
        return found

    monkeypatch.setattr(either, "or_page", spy_or)
    monkeypatch.setattr(either, "scores", spy_scores)
    return answered


def assert_pages_exact(catalog: Catalog, user: str, match: str, speaker=None, speaker_id=None) -> None:
    ref, total = reference(catalog.path, match, speaker_id)
    assert total > 0, user
    for offset in (0, 20, 40):
        found = catalog.search(SearchRequest(user, limit=20, offset=offset, speaker=speaker))
        assert found.ordered_by == "relevance", user
        assert found.total == total, (user, offset)
        assert [h.segment_id for h in found.hits] == ref[offset : offset + 20], (user, offset)
        # the hits themselves (snippet, time of the first match) are those of the FTS5 paths
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(paths, "LISTS", False)
            fts5 = catalog.search(SearchRequest(user, limit=20, offset=offset, speaker=speaker))
        assert found.hits == fts5.hits, (user, offset)


def test_two_words_or_ed_are_ranked_exactly_from_the_lists(archive, spied):
    listed, unlisted = words(archive.path)
    assert len(listed) >= 6 and len(unlisted) >= 3
    pairs = list(zip(listed[::2], listed[1::2], strict=False)) + list(
        zip(listed[:3], unlisted[:3], strict=False)
    )
    pairs += [(unlisted[0], listed[-1])]
    for a, b in pairs:
        assert_pages_exact(archive, f"{a} OR {b}", f'"{a}" OR "{b}"')
    lists_answered = [ok for kind, ok in spied if kind == "or"]
    assert len(lists_answered) == 3 * len(pairs)
    assert sum(lists_answered) >= 2 * len(pairs), spied  # most pages came from the lists, exact all the same
    # two words said rarely (both lists complete): each ranked alone, merged, every page exact
    spied.clear()
    rare = list(zip(unlisted[::2], unlisted[1::2], strict=False))
    for a, b in rare:
        assert_pages_exact(archive, f"{a} OR {b}", f'"{a}" OR "{b}"')
    assert [ok for kind, ok in spied if kind == "or"] == [True] * (3 * len(rare)), spied


def test_the_speaker_filter_scores_its_matches_from_the_lists(archive, spied):
    listed, unlisted = words(archive.path)
    conn = sqlite3.connect(archive.path)
    speakers = conn.execute("SELECT id, name FROM speakers ORDER BY id LIMIT 4").fetchall()
    conn.close()
    checked = 0
    for (speaker_id, name), word in zip(speakers * 3, listed[:6] + unlisted[:6], strict=False):
        if reference(archive.path, f'"{word}"', speaker_id)[1]:  # (a rare word this speaker never says: skip)
            assert_pages_exact(archive, word, f'"{word}"', speaker=name, speaker_id=speaker_id)
            checked += 1
    assert checked >= 8
    # two words AND-ed (hits across a segment cut join these: the FTS5 paths' page is the reference)
    for offset in (0, 20):
        request = SearchRequest(f"{listed[0]} {listed[1]}", limit=20, offset=offset, speaker=speakers[0][1])
        found = archive.search(request)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(paths, "LISTS", False)
            assert found == archive.search(request)
    assert spied and all(ok for kind, ok in spied if kind == "scores"), spied


def test_pages_stay_exact_after_staff_edits(archive, spied):
    listed, unlisted = words(archive.path)
    a, b = listed[2], unlisted[1]
    conn = sqlite3.connect(archive.path)
    speaker_id, name = conn.execute("SELECT id, name FROM speakers ORDER BY id LIMIT 1").fetchone()
    targets = [
        r[0]
        for r in conn.execute(
            "SELECT s.id FROM segments s JOIN sessions se ON se.id = s.session_id "
            "WHERE s.speaker_id = ? AND se.status = 'published' ORDER BY s.id LIMIT 3",
            (speaker_id,),
        )
    ]
    conn.close()
    staff = archive.staff
    filler = " ".join(["and the of"] * 8)
    staff.segments.correct(
        targets[0], f"{a} {b} {a}.", "ann"
    )  # short, both words: now near the top of a OR b
    staff.segments.correct(
        targets[1], f"{filler} {a} {a} {filler}.", "ann"
    )  # long, twice: its count unlisted
    staff.segments.correct(targets[2], f"{b} {b} {b}.", "ann")
    assert_pages_exact(archive, f"{a} OR {b}", f'"{a}" OR "{b}"')
    assert_pages_exact(archive, a, f'"{a}"', speaker=name, speaker_id=speaker_id)
    assert_pages_exact(archive, b, f'"{b}"', speaker=name, speaker_id=speaker_id)
    assert ("or", True) in spied and ("scores", True) in spied, spied
    top = archive.search(SearchRequest(f"{a} OR {b}", limit=3)).hits
    assert targets[0] in [h.segment_id for h in top] or targets[2] in [h.segment_id for h in top]


@pytest.mark.parametrize(
    "lookups", [paths.SPEAKER_LOOKUPS, 0], ids=["each match looked up", "speaker's index"]
)
def test_the_speaker_filter_takes_the_speakers_lines_from_the_index(tmp_path, monkeypatch, lookups):
    """While every session's segments are one id range of its own (``paths._apart``), the speaker filter keeps
    FTS5's matches whose id is one of the speaker's lines or of lines no transcript attributes, each match's
    speaker read by its id (a few matches) or the speaker's lines read from the index of (speaker, id), no segment
    row joined (``paths._speaker_rows``): the pages are FTS5's own bm25 order over the speaker's matches, with
    the same total."""
    monkeypatch.setattr(paths, "SPEAKER_LOOKUPS", lookups)
    from catalog import SessionMeta, SpeakerCredit, TrackInput
    from transcripts import Segment, Transcript

    def lines(n: int, speaker: str | None) -> Transcript:
        return Transcript(
            segments=tuple(
                Segment(
                    4.0 * i,
                    4.0 * i + 3.0,
                    f"Line {i} on the culvert budget {'and the culvert' * (i % 3)}.",
                    speaker if i % 2 else ("Someone Else" if speaker else None),
                )
                for i in range(n)
            )
        )

    catalog = Catalog.open(tmp_path / "catalog.db")
    meta = SessionMeta(title="A", date="2024-01-02", speakers=(SpeakerCredit("Mayor Ada"),))
    catalog.save_session("a", meta, [TrackInput(lines(12, "Mayor Ada"))])
    catalog.save_session(
        "b",
        SessionMeta(title="B", date="2024-02-02", speakers=(SpeakerCredit("Mayor Ada"),)),
        [TrackInput(lines(10, "Mayor Ada"))],
    )
    catalog.save_session(  # a transcript that says nobody's name: its lines count as the credited speaker's
        "c",
        SessionMeta(title="C", date="2024-03-02", speakers=(SpeakerCredit("Mayor Ada"),)),
        [TrackInput(lines(8, None))],
    )
    seen: list[str] = []
    original = paths._speaker_rows

    def spy(*args):
        seen.append("rows")
        return original(*args)

    monkeypatch.setattr(paths, "_speaker_rows", spy)

    def check() -> None:
        conn = sqlite3.connect(catalog.path)
        speaker_id = conn.execute("SELECT id FROM speakers WHERE name = 'Mayor Ada'").fetchone()[0]
        conn.close()
        for word in ("culvert", "budget", "line"):
            found = catalog.search(SearchRequest(word, limit=50, speaker="Mayor Ada"))
            where = "(s.speaker_id = ? OR s.speaker_id IS NULL)"
            ref, total = reference(catalog.path, f'"{word}"')
            conn = sqlite3.connect(catalog.path)
            mine = {r[0] for r in conn.execute(f"SELECT id FROM segments s WHERE {where}", (speaker_id,))}
            conn.close()
            ref = [r for r in ref if r in mine]
            assert [h.segment_id for h in found.hits] == ref and found.total == len(ref), word

    check()
    assert seen, "the speaker's rows were not read from the index"
    # (saving a session again renumbers all its lines, or keeps the hand-corrected transcript whole, so no path
    # seen makes two sessions' ranges interleave; ``_apart`` would send such an archive to the joined rows)
    catalog.close()
