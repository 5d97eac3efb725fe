"""Two words OR-ed, and a filtered search's few matches, ranked by exact bm25 without FTS5 scoring every match.

**OR** (``a OR b``, plain words, each one indexed term): FTS5's bm25 is a sum over the query's phrases, so a
segment holding only ``a`` scores ``a``'s part alone, ``S_a = idf(a) * weight(tf, dl)``. Hence:

- the segments holding both words are few: FTS5's AND walk finds them (no scoring) and each is scored exactly
  (``exact``: its counts from the lists, or the lists' rule, or its text tokenized);
- any other match holds one word ``t``: ``t``'s best segments come from its impact list (best weight first), or,
  for a word said in fewer than ``impact.MIN_DF`` segments (no list: its matches are few), from FTS5's ranking of
  ``t`` alone; a segment not fetched scores at most ``t``'s bound (the last one fetched, or the list's bound for
  a segment it does not hold, ``lists._unlisted``);
- the page is exact when its last row scores above every word's bound (a threshold algorithm's stop), or when
  every match was fetched; otherwise ``None`` and the caller runs the FTS5 pass. The total is exact too: the two
  words' ``df`` less the segments holding both.

Two words said rarely (neither with a list) take the same way, each ranked alone by FTS5: at 1M segments it is
about 15% less CPU than FTS5 ranking ``a OR b`` with its snippets (2.4 vs 2.9 ms p50 for the bench's such pairs),
and a word asked again is scored once, whole.

**Scores of given matches** (``scores``): the matches a speaker filter found (a few sessions' rowid ranges) are
ranked by FTS5's bm25 of a query of plain words all AND-ed, computed here from each match's length (FTS5's
``docsize``) and counts (``exact``), instead of a statement that walks every match of the words between the
lowest and highest id (a speaker's sessions span the archive).

Scores are FTS5's (negative bm25, the same arithmetic in the same order, so equal rows score equal), ties by
segment id.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

from catalog.search import facts as search_facts
from catalog.search import lists
from catalog.store import impact

SLACK = 1e-9  # relative: a bound is raised by this much, so float edges never let a better row go unseen
_BATCH = 500
MANY_BOTH = 8  # more segments than this holding both words: FTS5 scores them (tokenizing costs more)


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


class _Facts:
    """What scoring needs, read once per search: each term's id, df and list threshold; FTS5's totals."""

    def __init__(self, conn: sqlite3.Connection, terms: list[str]):
        self.ok = False
        marks = ",".join("?" * len(terms))
        rows = conn.execute(
            f"SELECT term, id, df, theta FROM impact_terms WHERE term IN ({marks}) AND df > 0", terms
        ).fetchall()
        self.info = {term: (term_id, df, theta) for term, term_id, df, theta in rows}
        meta = conn.execute("SELECT avgdl, max_dl FROM impact_meta WHERE id = 1").fetchone()
        self.rows, tokens = impact.averages(conn)
        if len(self.info) != len(terms) or meta is None or not self.rows or not tokens:
            return
        self.avgdl0, self.max_dl = meta
        self.avgdl = tokens / self.rows
        self.idf = {t: impact.idf(self.rows, df) for t, (_id, df, _theta) in self.info.items()}
        self.ok = True

    def unlisted_bound(self, term: str) -> float:
        """The most a segment that ``term``'s list does not hold can score for it."""
        theta = self.info[term][2]
        weights = lists._unlisted(theta, self.avgdl0, self.avgdl, self.max_dl)[1]
        return self.idf[term] * max(weights, default=0.0)


def _stems(conn: sqlite3.Connection, words: tuple[str, ...]) -> list[str] | None:
    """Each word's one indexed term, in order; ``None`` when a word is not exactly one term."""
    groups = lists._terms(conn, tuple((w,) for w in words))
    if groups is None or any(len(g) != 1 for g in groups):
        return None
    return [g[0] for g in groups]


# -- a OR b -----------------------------------------------------------------------------------------------------
def or_page(
    conn: sqlite3.Connection,
    words: tuple[str, ...],
    excluded: tuple[int, ...],
    offset: int,
    limit: int,
    count_hidden,
) -> tuple[list[tuple[float, int]], int] | None:
    """``([(bm25, segment id)] of the page, total)`` of ``words[0] OR words[1]``, or ``None`` when this cannot
    decide it (the caller runs FTS5). ``count_hidden()`` gives the matches in left-out sessions."""
    if len(words) != 2 or not search_facts.of(conn).lists_ready:
        return None
    terms = _stems(conn, words)
    if terms is None or terms[0] == terms[1]:  # (one term twice: FTS5 scores it twice; left to FTS5)
        return None
    facts = _Facts(conn, terms)
    if not facts.ok:
        return None
    hidden = lists._Hidden(conn, excluded)
    need = offset + limit
    both_match = f"{_phrase(words[0])} AND {_phrase(words[1])}"
    both_sql = "SELECT rowid{} FROM segments_fts WHERE segments_fts MATCH ?"
    # the segments holding both, scored from the lists when few are expected, else by FTS5 itself
    scored: dict[int, float] = {}
    expected = facts.info[terms[0]][1] * facts.info[terms[1]][1] / facts.rows
    if expected <= MANY_BOTH:
        both = [r[0] for r in conn.execute(both_sql.format(""), (both_match,))]
        scored = exact(conn, facts, terms, both, most_unknown=MANY_BOTH) if both else {}
    if expected > MANY_BOTH or scored is None:
        scored = dict(conn.execute(both_sql.format(", bm25(segments_fts)"), (both_match,)).fetchall())
    both = list(scored)
    fetch = first = 2 * need + len(both) + (16 if excluded else 8)
    whole: dict[
        str, tuple
    ] = {}  # a word without a list, every match scored (asked again: all of them at once)
    while True:
        candidates = [(score, sid) for sid, score in scored.items()]
        bound, short = 0.0, False  # short: a word's bound is its last row fetched (more rows may help)
        for word, term in zip(words, terms, strict=True):
            if word in whole:
                found, term_bound, cut = whole[word]
            else:
                unlisted = facts.info[term][2] is None
                found, term_bound, cut = _best_alone(
                    conn, facts, word, term, fetch, unlisted and fetch > first
                )
                if unlisted and not cut:
                    whole[word] = (found, term_bound, cut)
            candidates += [(score, sid) for score, sid in found if sid not in scored]
            bound = max(bound, term_bound)
            short = short or cut
        candidates = hidden.drop(sorted(candidates))
        if bound <= 0 or (len(candidates) >= need and -candidates[need - 1][0] > bound * (1 + SLACK)):
            break
        if not short or fetch >= 2 * impact.LIST_SIZE:
            return None  # a segment no list holds could still reach the page
        fetch *= 4
    total = sum(facts.info[t][1] for t in terms) - len(both)
    return candidates[offset:need], total - (count_hidden() if excluded else 0)


def _best_alone(
    conn: sqlite3.Connection, facts: _Facts, word: str, term: str, fetch: int, every: bool = False
) -> tuple[list[tuple[float, int]], float, bool]:
    """``term``'s best segments scored for it alone (``fetch`` of them; ``every``: all, for a word without a
    list), the most any other of its segments scores (0: there are no others), and whether that bound is the last
    row fetched."""
    term_id, df, theta = facts.info[term]
    if theta is None:  # few matches: FTS5 scores the word alone (same N, avgdl and df, so the same scores)
        fetch = max(fetch, df + 1) if every else fetch  # (FTS5 scores every match whatever the limit)
        rows = conn.execute(
            "SELECT bm25(segments_fts), rowid FROM segments_fts WHERE segments_fts MATCH ? ORDER BY 1, 2 LIMIT ?",
            (_phrase(word), fetch),
        ).fetchall()
        if len(rows) == fetch:
            return rows, -rows[-1][0] * (1 + SLACK), True
        return rows, 0.0, False
    k = impact.K1 * impact.B / facts.avgdl
    rows = conn.execute(
        "SELECT segment_id, tf, dl FROM impact_postings WHERE term_id = ? "
        "ORDER BY tf * 1.0 / (tf + ? + ? * dl) DESC, segment_id LIMIT ?",
        (term_id, impact.K1 * (1 - impact.B), k, fetch),
    ).fetchall()
    idf, avgdl = facts.idf[term], facts.avgdl
    found = sorted((-idf * impact.weight(tf, dl, avgdl), sid) for sid, tf, dl in rows)
    bound = facts.unlisted_bound(term)
    if len(rows) == fetch and -found[-1][0] * (1 + SLACK) > bound:
        return found, -found[-1][0] * (1 + SLACK), True
    return found, bound, False


# -- exact scores of given matches -------------------------------------------------------------------------------
_largest_unlisted_tf = lru_cache(maxsize=65_536)(
    impact.largest_unlisted_tf
)  # (pure: same inputs, same answer)


def exact(
    conn: sqlite3.Connection,
    facts: _Facts,
    terms: list[str],
    rowids: list[int],
    most_unknown: int | None = None,
) -> dict[int, float] | None:
    """FTS5's bm25 of the query whose phrases are ``terms`` (in that order) for segments each holding every one
    of them. A segment's length comes from FTS5's ``docsize``; its count of a term from the term's list when it is
    listed, or is 1 when the list's rule says a segment of that length holding it more often would be listed, or
    else from its text, tokenized as the index does. ``None`` when FTS5's view and ours disagree, or when more than
    ``most_unknown`` segments would need their text tokenized."""
    lengths = lists._lengths(conn, rowids)
    if len(lengths) != len(set(rowids)):
        return None
    counts: dict[int, dict[str, int]] = {sid: {} for sid in lengths}
    unknown: set[int] = set()
    for term in dict.fromkeys(terms):
        term_id, _df, theta = facts.info[term]
        listed: dict[int, int] = {}
        if theta is not None:
            for start in range(0, len(rowids), _BATCH):
                chunk = rowids[start : start + _BATCH]
                marks = ",".join("?" * len(chunk))
                listed.update(
                    conn.execute(
                        f"SELECT segment_id, tf FROM impact_postings WHERE term_id = ? AND segment_id IN ({marks})",
                        (term_id, *chunk),
                    ).fetchall()
                )
        for sid, dl in lengths.items():
            if sid in listed:
                counts[sid][term] = listed[sid]
            elif theta is not None and theta > 0 and _largest_unlisted_tf(theta, dl, facts.avgdl0) <= 1:
                counts[sid][term] = 1  # it holds the term (FTS5 matched it), at most once (else listed)
            else:
                unknown.add(sid)
    if most_unknown is not None and len(unknown) > most_unknown:
        return None
    if unknown:  # their texts tokenized as the index does (``impact.token_sequences``: mostly no statement)
        texts = dict(lists._texts(conn, sorted(unknown)))
        if len(texts) != len(unknown):
            return None
        sequences = impact.token_sequences(conn, texts)
        wanted = set(terms)
        for sid in unknown:
            tokens = sequences.get(sid)
            if tokens is None or len(tokens) != lengths[sid]:
                return None  # (FTS5's length and ours disagree: FTS5 decides)
            counts[sid] = dict.fromkeys(terms, 0)
            for token in tokens:
                if token in wanted:
                    counts[sid][token] += 1
    scores = {}
    for sid, dl in lengths.items():
        score = 0.0
        for term in terms:
            tf = counts[sid].get(term, 0)
            if tf <= 0:
                return None  # (it does not hold a term it matched: cannot happen) FTS5 decides
            score += facts.idf[term] * impact.weight(tf, dl, facts.avgdl)
        scores[sid] = -score
    return scores


def scores(conn: sqlite3.Connection, words: tuple[str, ...], rowids: list[int]) -> dict[int, float] | None:
    """FTS5's bm25 of ``words`` all AND-ed (each one indexed term) for these matches of it; ``None`` when the
    lists cannot tell (the caller asks FTS5)."""
    if not rowids or not search_facts.of(conn).lists_ready:
        return None
    terms = _stems(conn, words)
    if terms is None:
        return None
    facts = _Facts(conn, sorted(set(terms)))
    if not facts.ok:
        return None
    return exact(conn, facts, terms, rowids)
