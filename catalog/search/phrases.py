"""What a phrase search across segment cuts (``search/crosscut.py``) asks of the index, at less cost.

- Whether every word of a query is among the commonest (``crosscut.COMMON_WORD``): each term's document frequency
  is kept in ``impact_terms`` (``catalog/store/impact.py``, current in every write transaction), so that is one
  lookup instead of a walk of each word's matches up to the limit.
- A lone phrase's cross-cut hits ranked by FTS5's own bm25 over their window without asking FTS5 for it: its
  ``bm25()`` walks the phrase over the whole window index once more for the document frequency, and the hits' span
  once more for the scores. The one walk that finds the windows (``window_matches``) gives that frequency (every
  window it matches), ``highlight()`` the phrase's count in each window kept, ``segment_windows_fts_docsize`` each
  window's length and the index's own totals ``N`` and ``avgdl``: the same formula (``impact.weight``, ``impact.idf``)
  gives the same score. Where a window's marks cannot be counted as whole phrases (overlapping matches marked as
  one), ``None``, and the caller asks FTS5.
"""

from __future__ import annotations

import sqlite3
from itertools import pairwise

from catalog.models import MATCH_CLOSE, MATCH_OPEN
from catalog.search import facts
from catalog.search.query import words_of
from catalog.store import impact, pairs

WINDOWS = "segment_windows_fts"
_STEMS: dict[str, tuple[str, ...]] = {}


def every_word_common(conn: sqlite3.Connection, words: list[str], least: int) -> bool | None:
    """Whether each of ``words`` is said in at least ``least`` segments, from the kept document frequencies;
    ``None`` when they cannot tell (lists not current, or a word that is more than one indexed term)."""
    if not words or not facts.of(conn).lists_ready:
        return None
    missing = [w for w in words if w not in _STEMS]
    if missing:
        if len(_STEMS) > 50_000:
            _STEMS.clear()
        _STEMS.update(impact.terms_of(conn, missing))
    stems = [_STEMS[w] for w in words]
    if any(len(s) != 1 for s in stems):
        return None
    terms = sorted({s[0] for s in stems})
    marks = ",".join("?" * len(terms))
    said = dict(conn.execute(f"SELECT term, df FROM impact_terms WHERE term IN ({marks})", terms).fetchall())
    return all(said.get(term, 0) >= least for term in terms)


def window_matches(
    conn: sqlite3.Connection, match: str, matched: tuple[int, ...], limit: int
) -> tuple[list[tuple[int, str]], int]:
    """(rowid, marked window) of the first ``limit`` windows matching ``match`` whose segment is not among
    ``matched`` (those hold it alone), in id order; and how many windows match in all (the phrase's document
    frequency over the windows), from one walk."""
    alone = frozenset(matched)
    taken = [0]

    def wanted(rowid: int) -> bool:
        if rowid in alone or taken[0] >= limit:
            return False
        taken[0] += 1
        return True

    conn.create_function("uscm_window_wanted", 1, wanted)
    rows = conn.execute(
        f"SELECT rowid, CASE WHEN uscm_window_wanted(rowid) THEN highlight({WINDOWS}, 0, char(2), char(3)) END "
        f"FROM {WINDOWS} WHERE {WINDOWS} MATCH ?",
        (match,),
    ).fetchall()
    return [(rowid, marked) for rowid, marked in rows if marked is not None], len(rows)


def window_scores(
    conn: sqlite3.Connection, phrase: str, marked: dict[int, str], df: int
) -> list[tuple[int, float]] | None:
    """(id, bm25) of these windows of a lone phrase said in ``df`` windows, in ``RANKING`` order (bm25, ties by
    id): FTS5's score, computed from the marked windows. ``None`` when a window's marks are not whole phrases."""
    size = len(words_of(phrase))
    rows, tokens = impact.averages(conn, WINDOWS)
    if size < 2 or not rows or not tokens or not marked:
        return None if marked else []
    tfs = {}
    for rowid, text in marked.items():
        spans = _marked(text)
        if not spans or any(len(words_of(span)) != size for span in spans):
            return None
        tfs[rowid] = len(spans)
    lengths = _lengths(conn, list(marked))
    if len(lengths) != len(marked):
        return None
    idf, avgdl = impact.idf(rows, df), tokens / rows
    scored = sorted((-idf * impact.weight(tf, lengths[r], avgdl), r) for r, tf in tfs.items())
    return [(rowid, score) for score, rowid in scored]


def _marked(text: str) -> list[str]:
    """The marked runs of a ``highlight()`` text."""
    spans, at = [], text.find(MATCH_OPEN)
    while at >= 0:
        end = text.find(MATCH_CLOSE, at)
        if end < 0:
            break
        spans.append(text[at + 1 : end])
        at = text.find(MATCH_OPEN, end)
    return spans


def _lengths(conn: sqlite3.Connection, ids: list[int]) -> dict[int, int]:
    found = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for rowid, size in conn.execute(f"SELECT id, sz FROM {WINDOWS}_docsize WHERE id IN ({marks})", chunk):
            found[rowid] = impact.first_varint(size)
    return found


# -- one phrase from the phrase index (catalog/store/pairs.py) ------------------------------------------------------
PAIR_INSTANCES_LIMIT = 20_000  # the rarest pair said more often than this: counts come from the texts instead
PAIRS = True  # read the phrase index (switched off only to show what the tests need of it)


def pair_phrase(
    conn: sqlite3.Connection, wanted: list[str], most: int
) -> tuple[list[int], dict[int, int], dict[int, int]] | None:
    """The segments holding the phrase of tokens ``wanted`` (in id order), the phrase's count in each and each
    one's length, from the phrase index: its pairs' phrase finds them (``pairs.phrase_match``), the rarest pair's
    occurrences bound each count (once: the count is 1; a segment holding that pair more often is tokenized), and
    FTS5's ``docsize`` gives the lengths. ``None`` when the index is not current or past ``most`` matches."""
    match = pairs.phrase_match(wanted) if PAIRS else None
    known = facts.of(conn)
    if match is None or not known.pairs_present or not known.lists_ready:
        return None
    rowids = [
        r[0]
        for r in conn.execute(
            f"SELECT rowid FROM {pairs.TABLE} WHERE {pairs.TABLE} MATCH ? LIMIT ?", (match, most + 1)
        )
    ]
    if len(rowids) > most:
        return None
    if not rowids:
        return [], {}, {}
    counts = _rarest_pair_counts(conn, wanted, set(rowids))
    if counts is None:
        return None
    tfs = {sid: 1 for sid in rowids if counts.get(sid, 0) == 1}
    others = [sid for sid in rowids if sid not in tfs]
    if others:
        texts = dict(conn.execute(f"SELECT id, text FROM segments WHERE id IN ({_marks(others)})", others))
        n, first = len(wanted), wanted[0]
        for sid, seq in impact.token_sequences(conn, texts).items():
            tfs[sid] = sum(1 for i, t in enumerate(seq) if t == first and seq[i : i + n] == wanted)
    lengths = {}
    for start in range(0, len(rowids), 500):
        chunk = rowids[start : start + 500]
        for rowid, size in conn.execute(
            f"SELECT id, sz FROM segments_fts_docsize WHERE id IN ({_marks(chunk)})", chunk
        ):
            lengths[rowid] = impact.first_varint(size)
    if len(lengths) != len(rowids) or not all(tfs.get(sid) for sid in rowids):
        return None  # (cannot happen: the index and the text disagree) let FTS5 rank it
    return rowids, tfs, lengths


def _rarest_pair_counts(
    conn: sqlite3.Connection, wanted: list[str], among: set[int]
) -> dict[int, int] | None:
    """How often the phrase's rarest pair is said in each of ``among`` (``None``: it is said too often to read)."""
    pair_tokens = sorted({a + "_" + b for a, b in pairwise(wanted)})
    sql = f"SELECT term, cnt FROM temp.uscm_pair_rows WHERE term IN ({_marks(pair_tokens)})"
    try:
        said = conn.execute(sql, pair_tokens).fetchall()
    except sqlite3.OperationalError:  # (this connection's first look: its vocabulary tables are made once)
        _vocab(conn)
        said = conn.execute(sql, pair_tokens).fetchall()
    if not said:
        return None
    term, occurrences = min(said, key=lambda row: (row[1], row[0]))
    if occurrences > PAIR_INSTANCES_LIMIT:
        return None
    counts: dict[int, int] = {}
    for (doc,) in conn.execute("SELECT doc FROM temp.uscm_pair_instances WHERE term = ?", (term,)):
        if doc in among:
            counts[doc] = counts.get(doc, 0) + 1
    return counts


def _vocab(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.uscm_pair_rows USING fts5vocab(main, {pairs.TABLE}, row)"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.uscm_pair_instances "
        f"USING fts5vocab(main, {pairs.TABLE}, instance)"
    )


def _marks(values) -> str:
    return ",".join("?" * len(values))
