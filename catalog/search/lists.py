"""Ranking from the impact lists (``catalog/store/impact.py``): bm25 order without scoring every match.

A query of plain words (one word, or words all ``AND``-ed; no phrase, prefix, exclusion or ``OR``), each word one
indexed term with a list, is answered from the lists when they can decide it exactly:

- every listed segment's bm25 is known from its list entry (``tf``, ``dl``), today's ``N`` and ``avgdl`` (FTS5's
  totals) and each term's ``df``; a listed segment's count of a query term it is *not* listed for is either known
  to be 0 (a segment of its length holding the term would be listed) or read by tokenizing its text, best
  candidates first, only while it could still reach the page;
- a segment in no list scores at most ``bound``: for each length up to the longest segment, the sum over the
  terms of the best weight an unlisted segment of that length can have (``impact.largest_unlisted_tf``);
- the page is exact when its last row scores above that bound (a threshold algorithm's stop); otherwise
  ``None``, and the caller runs the full FTS5 pass.

Ties are broken by segment id, as FTS5's ``ORDER BY rank`` does; scores are FTS5's (negative bm25). The module
also ranks a lone prefix (``prefix_page``) and a lone phrase (``phrase_page``) by exact bm25 at less cost than
FTS5's ``bm25()``, and makes short segments' snippets from their text (``snippets``).
"""

from __future__ import annotations

import re
import sqlite3
from bisect import bisect_right
from collections import Counter, defaultdict
from functools import cache, lru_cache
from itertools import accumulate

from catalog.search import facts, prefixes
from catalog.store import impact

_RESOLVE_BATCH = 64
_STEMS: dict[str, tuple[str, ...]] = {}


def page(
    conn: sqlite3.Connection,
    words: tuple[tuple[str, ...], ...],
    excluded: tuple[int, ...],
    offset: int,
    limit: int,
    count,
    count_hidden,
) -> tuple[list[tuple[float, int]], int] | None:
    """``([(bm25, segment id)] of the page, total)`` or ``None`` when the lists cannot decide. ``count()`` gives
    the total of a query of more than one term (the lists know one term's ``df``); ``count_hidden()`` the matches
    in left-out sessions."""
    if not impact.ready(conn):
        return None
    groups = _terms(conn, words)
    if groups is None or any(len(group) > 1 for group in groups):
        # words OR-ed with others (next to an AND): a segment may hold both, each under its list's rule, so the
        # bound is the sum of both and the lists measured at 1M (the bench's OR class) never decided one: the
        # FTS5 pass right away. A lone word, or words all AND-ed, go on.
        return None
    terms = sorted({t for group in groups for t in group})
    info = _tracked(conn, terms)
    if info is None:
        return None
    meta = conn.execute("SELECT avgdl, max_dl FROM impact_meta WHERE id = 1").fetchone()
    rows, tokens = impact.averages(conn)
    if meta is None or not rows or not tokens:
        return None
    avgdl0, max_dl = meta
    avgdl = tokens / rows
    idfs = {t: impact.idf(rows, info[t][1]) for t in terms}
    tables = {t: _unlisted(info[t][2], avgdl0, avgdl, max_dl) for t in terms}
    hidden = _Hidden(conn, excluded)
    need = offset + limit
    if len(terms) == 1:
        (term,) = terms
        term_id, df, theta = info[term]
        bound = idfs[term] * max(tables[term][1], default=0.0)
        kept = _best_listed(conn, term_id, idfs[term], avgdl, hidden, need)
        complete = theta <= 0
        if len(kept) < need and not complete:
            return None
        if kept[need - 1 : need] and not complete and -kept[need - 1][0] <= bound:
            return None
        return kept[offset:need], df - (count_hidden() if excluded else 0)
    bound = max((sum(idfs[t] * tables[t][1][dl] for t in terms) for dl in range(1, max_dl + 1)), default=0.0)
    lists = {t: _postings(conn, info[t][0]) for t in terms}
    ranked = _ranked_many(conn, groups, terms, lists, idfs, tables, avgdl, hidden, need, bound)
    if ranked is None:
        return None
    best, complete = ranked
    if len(best) < need and not complete:
        return None
    if best[need - 1 : need] and not complete and -best[need - 1][0] <= bound:
        return None
    return best[offset:need], count() - (count_hidden() if excluded else 0)


def lone_total(conn: sqlite3.Connection, words: tuple[tuple[str, ...], ...] | None) -> int | None:
    """The number of segments a query of one plain word matches, when the word is one indexed term: its ``df``,
    kept by the lists for every term (no pass over the index); ``None`` for any other query, or without lists."""
    if words is None or len(words) != 1 or len(words[0]) != 1 or not facts.of(conn).lists_ready:
        return None
    groups = _terms(conn, words)
    return None if groups is None else impact.df_of(conn, groups[0][0])


def _ranked_many(conn, groups, terms, lists, idfs, tables, avgdl, hidden, need, bound):
    """The best ``need`` matching candidates, exactly scored; ``complete`` when every list is complete."""
    candidates: dict[int, int] = {}
    for term in terms:
        for sid, (_tf, dl) in lists[term].items():
            candidates[sid] = dl
    exact: list[tuple[float, int]] = []
    unknown: list[tuple[float, int, float]] = []  # (-upper bound, sid, lower bound)
    for sid, dl in candidates.items():
        score, upper, open_terms = 0.0, 0.0, False
        counts = {}
        for term in terms:
            entry = lists[term].get(sid)
            if entry is not None:
                counts[term] = entry[0]
                score += idfs[term] * impact.weight(entry[0], dl, avgdl)
            else:
                table = tables[term][0]
                most = 0 if table == () else (table[dl] if dl < len(table) else dl)
                if most:
                    open_terms = True
                    upper += idfs[term] * impact.weight(most, dl, avgdl)
                else:
                    counts[term] = 0
        if not open_terms:
            if _matches(groups, counts):
                exact.append((-score, sid))
            continue
        unknown.append((-(score + upper), sid, score))
    exact = hidden.drop(sorted(exact))
    unknown.sort()
    if not all(tables[t][0] == () for t in terms):
        # the best the candidates could do, every open count at its most: not past the bound, the lists cannot
        # decide: give up before tokenizing anything
        hopes = sorted([-s for s, _ in exact] + [-ub for ub, _sid, _lb in unknown], reverse=True)
        if len(hopes) < need or hopes[need - 1] <= bound:
            return None
    at = 0
    while at < len(unknown):
        kth = -exact[need - 1][0] if len(exact) >= need else float("-inf")
        if -unknown[at][0] < kth:
            break
        batch = [sid for _ub, sid, _lb in unknown[at : at + _RESOLVE_BATCH] if not hidden.hides(sid)]
        at += _RESOLVE_BATCH
        texts = _texts(conn, batch)
        counted = impact.tokenize(conn, texts)
        for sid in batch:
            got = counted.get(sid, {})
            counts = {t: got.get(t, 0) for t in terms}
            if _matches(groups, counts):
                dl = sum(got.values())
                score = sum(idfs[t] * impact.weight(c, dl, avgdl) for t, c in counts.items() if c)
                exact.append((-score, sid))
        exact.sort()
    complete = all(tables[t][0] == () for t in terms)
    return exact[:need], complete


TERM_ENTRIES = "SELECT segment_id, tf, dl FROM impact_postings WHERE term_id = ? "


def _best_listed(
    conn: sqlite3.Connection,
    term_id: int,
    idf: float,
    avgdl: float,
    hidden: _Hidden,
    need: int,
    entries: str = TERM_ENTRIES,
) -> list[tuple[float, int]]:
    """The ``need`` best listed segments of one list (a term's; ``entries`` selects another's: a prefix's), the
    left-out sessions' skipped, in FTS5's bm25 order: SQLite orders the entries by weight, Python scores only the
    rows it keeps."""
    k = impact.K1 * impact.B / avgdl
    sql = entries + "ORDER BY tf * 1.0 / (tf + ? + ? * dl) DESC, segment_id LIMIT ? OFFSET ?"
    kept: list[tuple[float, int]] = []
    at, batch = 0, need + 8
    while len(kept) < need:
        rows = conn.execute(sql, (term_id, impact.K1 * (1 - impact.B), k, batch, at)).fetchall()
        kept += [(-idf * impact.weight(tf, dl, avgdl), sid) for sid, tf, dl in rows if not hidden.hides(sid)]
        if len(rows) < batch:
            break
        at, batch = at + batch, batch * 4
    kept.sort()
    return kept[:need]


def _matches(groups, counts) -> bool:
    return all(any(counts.get(t, 0) > 0 for t in group) for group in groups)


@lru_cache(maxsize=4096)
def _unlisted(
    theta: float, avgdl0: float, avgdl: float, max_dl: int
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Per segment length 0..max_dl: the largest count an unlisted segment can hold, and its weight today.
    Empty counts (``()``) for a complete list."""
    if theta <= 0:
        return (), (0.0,) * (max_dl + 1)
    most = tuple(impact.largest_unlisted_tf(theta, dl, avgdl0) if dl else 0 for dl in range(max_dl + 1))
    weights = tuple(impact.weight(tf, dl, avgdl) if tf else 0.0 for dl, tf in enumerate(most))
    return most, weights


def _terms(conn: sqlite3.Connection, words) -> list[list[str]] | None:
    missing = [w for group in words for w in group if w not in _STEMS]
    if missing:
        if len(_STEMS) > 50_000:
            _STEMS.clear()
        _STEMS.update(impact.terms_of(conn, missing))
    groups = []
    for group in words:
        stems = [_STEMS[w] for w in group]
        if any(len(s) != 1 for s in stems):
            return None
        groups.append(sorted({s[0] for s in stems}))
    return groups


def stems_of(conn: sqlite3.Connection, word: str) -> tuple[str, ...]:
    """The word's tokens as the index spells them (``impact.terms_of``), remembered: the tokenizer is fixed."""
    if word not in _STEMS:
        _terms(conn, ((word,),))
    return _STEMS[word]


def _tracked(conn: sqlite3.Connection, terms: list[str]) -> dict[str, tuple] | None:
    marks = ",".join("?" * len(terms))
    rows = conn.execute(
        f"SELECT term, id, df, theta FROM impact_terms WHERE term IN ({marks}) AND theta IS NOT NULL", terms
    ).fetchall()
    if len(rows) != len(terms):
        return None
    return {term: (term_id, df, theta) for term, term_id, df, theta in rows}


def _postings(conn: sqlite3.Connection, term_id: int) -> dict[int, tuple[int, int]]:
    rows = conn.execute("SELECT segment_id, tf, dl FROM impact_postings WHERE term_id = ?", (term_id,))
    return {sid: (tf, dl) for sid, tf, dl in rows}


def _texts(conn: sqlite3.Connection, ids: list[int]) -> list[tuple[int, str]]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return conn.execute(f"SELECT id, text FROM segments WHERE id IN ({marks})", ids).fetchall()


class _Hidden:
    """Segments of left-out sessions (drafts, retracted): each session one id range, checked exactly inside it."""

    def __init__(self, conn: sqlite3.Connection, excluded: tuple[int, ...]):
        self.conn = conn
        self.excluded = frozenset(excluded)
        spans: list[tuple[int, int]] = []
        if excluded:
            from catalog.search.paths import ranges

            spans = sorted((lo, hi) for _sid, lo, hi in ranges(conn, excluded))
        self.starts = [lo for lo, _hi in spans]
        self.reach: list[int] = []  # the highest id any span up to this one covers
        for _lo, hi in spans:
            self.reach.append(max(hi, self.reach[-1]) if self.reach else hi)
        self._known: dict[int, bool] = {}

    def hides(self, segment_id: int) -> bool:
        at = bisect_right(self.starts, segment_id) - 1
        if at < 0 or self.reach[at] < segment_id:
            return False
        if segment_id not in self._known:
            row = self.conn.execute("SELECT session_id FROM segments WHERE id = ?", (segment_id,)).fetchone()
            self._known[segment_id] = row is not None and row[0] in self.excluded
        return self._known[segment_id]

    def drop(self, scored: list[tuple[float, int]]) -> list[tuple[float, int]]:
        if not self.starts:
            return scored
        return [item for item in scored if not self.hides(item[1])]


# -- one prefix -------------------------------------------------------------------------------------------------
PREFIX_SCAN_LIMIT = 60_000  # a prefix whose words are said more often than this is left to the FTS5 paths


def prefix_page(
    conn: sqlite3.Connection, prefix: str, excluded: tuple[int, ...], offset: int, limit: int, count_hidden
) -> tuple[list[tuple[float, int]], int] | None:
    """A lone prefix (``gove*``) ranked by exact bm25. FTS5 scores a prefix as one phrase: its count in a segment
    is the sum of its words' counts, its df the segments holding any. Each word's segments come from the index
    (``fts5vocab``; every word's df is kept, so the expansion is a range of ``impact_terms``), which gives every
    match's count exactly; lengths come from the words' lists where listed, else are bounded below (a segment
    not in a word's list is longer than the list's rule allows) and read from FTS5's ``docsize`` best bound
    first, only while a segment could still reach the page."""
    if not impact.ready(conn):
        return None
    stems = stems_of(conn, prefix)
    if len(stems) != 1:
        return None
    (stem,) = stems
    listed = prefixes.page(conn, stem, excluded, offset, limit, count_hidden) if prefixes.USE else None
    if listed is not None:  # a list stands for the prefix and decides the page
        return listed
    words = conn.execute(
        "SELECT id, term, df, theta FROM impact_terms WHERE term >= ? AND term < ? AND df > 0",
        (stem, stem + "\U0010ffff"),
    ).fetchall()
    if not words or sum(df for _id, _term, df, _theta in words) > PREFIX_SCAN_LIMIT:
        return None
    meta = conn.execute("SELECT avgdl FROM impact_meta WHERE id = 1").fetchone()
    rows, tokens = impact.averages(conn)
    if meta is None or not rows or not tokens:
        return None
    avgdl0, avgdl = meta[0], tokens / rows
    impact.vocab(conn)
    counts: Counter = Counter()  # (segment id,) -> the prefix's count in it (keys are the rows FTS5 gave)
    known: dict[tuple[int], int] = {}  # (segment id,) -> length, from the lists
    shortest_unlisted = None  # every unlisted segment holding a listed word is at least this long
    in_unlisted_words: set[tuple[int]] = set()
    for term_id, term, _df, theta in words:
        docs = conn.execute("SELECT doc FROM temp.impact_instances WHERE term = ?", (term,)).fetchall()
        counts.update(docs)
        if theta is None:
            in_unlisted_words.update(docs)
            continue
        rows_listed = conn.execute("SELECT segment_id, dl FROM impact_postings WHERE term_id = ?", (term_id,))
        known.update(((sid,), dl) for sid, dl in rows_listed)
        if theta > 0:  # (a complete list: every segment of its word is listed)
            least = _shortest_unlisted(theta, avgdl0)
            shortest_unlisted = least if shortest_unlisted is None else min(shortest_unlisted, least)
    hidden = _Hidden(conn, excluded)
    idf = impact.idf(rows, len(counts))
    need = offset + limit
    weight = impact.weight
    exact = hidden.drop(sorted((-idf * weight(counts[key], dl, avgdl), key[0]) for key, dl in known.items()))
    rest = counts.keys() - known.keys()
    rare = rest & in_unlisted_words  # lengths unknown: at least their count
    listed_words_only = rest - rare  # at least ``shortest_unlisted`` long

    def kth() -> float:
        return -exact[need - 1][0] if len(exact) >= need else float("-inf")

    def resolve(keys) -> None:
        ids = [key[0] for key in keys if not hidden.hides(key[0])]
        found = _lengths(conn, ids)
        exact.extend((-idf * weight(counts[(sid,)], dl, avgdl), sid) for sid, dl in found.items())
        exact.sort()

    # the rare words' segments, most counted first (a bound only by their count)
    by_count: dict[int, list] = defaultdict(list)
    for key in rare:
        by_count[counts[key]].append(key)
    for tf in sorted(by_count, reverse=True):
        if idf * weight(tf, tf, avgdl) < kth():
            break
        resolve(by_count[tf])
    # the listed words' unlisted segments, all at least ``shortest_unlisted`` long: by count, most first, each
    # count's segments found only when its bound can still reach the page
    if listed_words_only and shortest_unlisted is not None:
        floor = shortest_unlisted
        for tf in sorted(set(counts.values()), reverse=True):
            if idf * weight(tf, max(tf, floor), avgdl) < kth():
                break
            resolve([key for key, n in counts.items() if n == tf and key in listed_words_only])
    total = len(counts) - (count_hidden() if excluded else 0)
    return exact[offset:need], total


@lru_cache(maxsize=4096)
def _shortest_unlisted(theta: float, avgdl0: float) -> int:
    """The least length of a segment holding the word once that its list leaves out (weight below ``theta``)."""
    dl = 1
    while impact.weight(1, dl, avgdl0) >= theta:
        dl += 1
    return dl


def _lengths(conn: sqlite3.Connection, ids: list[int]) -> dict[int, int]:
    found = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for rowid, size in conn.execute(
            f"SELECT id, sz FROM segments_fts_docsize WHERE id IN ({marks})", chunk
        ):
            found[rowid] = impact.first_varint(size)
    return found


# -- snippets from the text already fetched ---------------------------------------------------------------------
def snippets(
    conn: sqlite3.Connection,
    terms: frozenset[str],
    prefix: str | None,
    texts: dict[int, str],
    tokens: int,
    phrase: tuple[str, ...] = (),
) -> dict[int, str]:
    """FTS5's ``snippet()`` of the segments that are ``tokens`` tokens or shorter (the whole text, each match
    between ``char(2)``/``char(3)``: a token that is one of ``terms`` or starts with ``prefix``, or each run of
    tokens spelling ``phrase``, overlapping runs as one), made from their text: a text below
    ``impact.SPLIT_BELOW`` is split as unicode61 splits it and its words' tokens come from ``impact.stems_of``
    (no statement once its words are known); any other is split by ``query.is_token_char`` and tokenized by FTS5
    (``fts5vocab``). A longer segment, or one whose tokens the two do not count alike, is left to
    ``snippet()``."""
    if not phrase:
        return _term_snippets(conn, terms, prefix, texts, tokens)
    return _split_snippets(conn, terms, prefix, texts, tokens, phrase)


def _split_snippets(
    conn: sqlite3.Connection,
    terms: frozenset[str],
    prefix: str | None,
    texts: dict[int, str],
    tokens: int,
    phrase: tuple[str, ...] = (),
) -> dict[int, str]:
    """``snippets``, each text split into all its words (a phrase's runs need every token's place)."""
    spans: dict[int, list[tuple[int, int]]] = {}  # token spans of the texts split by ``_slow_spans``
    parts: dict[int, list[str]] = {}  # texts split here: separator, word, separator, …, word, separator
    counts: dict[int, int] = {}  # how many tokens each text holds
    words: dict[int, list[str]] = {}  # the words that may match (those that cannot are not stemmed)
    at: dict[int, list[int]] = {}  # their places among the text's tokens
    slow: dict[int, str] = {}
    # FTS5's porter keeps a token's first letter (folded): an ASCII word whose first letter no wanted token has
    # cannot match (checked over every word of an archive by tests/test_search_stems.py)
    wanted = {t[0] for t in (*terms, *phrase, *([prefix] if prefix else [])) if t}
    firsts = wanted | {c.upper() for c in wanted if c.isascii()}
    for sid, text in texts.items():
        if text and max(text) < impact.SPLIT_BELOW:  # split here, alike (impact.token_sequences)
            pieces = _SPLIT.split(text)  # (one C call; the words are the odd pieces)
            found = pieces[1::2]
            if 0 < len(found) <= tokens:
                parts[sid], counts[sid] = pieces, len(found)
                places = [i for i, word in enumerate(found) if word[0] in firsts or word[0] >= "\x80"]
                at[sid] = places
                words[sid] = [found[i] for i in places]
        else:
            slow[sid] = text
    stems = impact.stems_of(conn, words) if words else {}
    sequences: dict[int, list] = {}
    for sid, places in at.items():
        if sid in stems:
            seq: list = [None] * counts[sid]
            for i, stem in zip(places, stems[sid], strict=True):
                seq[i] = stem
            sequences[sid] = seq
    if slow:
        spans.update(_slow_spans(conn, slow, tokens, sequences))
        counts.update((sid, len(found)) for sid, found in spans.items())
    if not counts:
        return {}
    made = {}
    for sid, count in counts.items():
        seq = sequences.get(sid, [])
        if len(seq) != count:
            continue
        runs = _runs(seq, terms, prefix, list(phrase))
        if not runs:
            continue
        found = spans.get(sid) or _word_spans(parts[sid])
        made[sid] = _marked(texts[sid], [(found[first][0], found[final][1]) for first, final in runs])
    return made


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each of these (start, end) spans, in order and apart, between ``char(2)`` and ``char(3)``."""
    out, last = [], 0
    for lo, hi in spans:
        out += [text[last:lo], "\x02", text[lo:hi], "\x03"]
        last = hi
    out.append(text[last:])
    return "".join(out)


_SPLIT = re.compile(f"({impact.WORD.pattern})")  # ``impact.WORD`` kept by ``re.split``


def _term_snippets(
    conn: sqlite3.Connection, terms: frozenset[str], prefix: str | None, texts: dict[int, str], tokens: int
) -> dict[int, str]:
    """``snippets`` of words or a prefix (no phrase: each match is one token, marked alone). A text below
    ``SPLIT_BELOW`` is not split word by word: one pattern finds the words that may match (those starting with
    a letter a wanted token starts with, or above ASCII) and only those are stemmed; the rest as ``snippets``."""
    wanted = {t[0] for t in (*terms, *([prefix] if prefix else [])) if t}
    if not wanted or not all(c.isascii() for c in wanted):
        return _split_snippets(conn, terms, prefix, texts, tokens)
    patterns = [_starting(c) for c in sorted({c.lower() for c in wanted})]
    found: dict[int, list[tuple[int, int]]] = {}
    words: dict[int, list[str]] = {}
    slow: dict[int, str] = {}
    for sid, text in texts.items():
        if not text:
            continue
        if max(text) >= impact.SPLIT_BELOW:
            slow[sid] = text
            continue
        if len(text) >= 2 * tokens and len(impact.WORD.findall(text)) > tokens:
            continue  # (past ``tokens`` words: ``snippet()`` makes it; a shorter text has at most that many)
        spans = [m.span() for pattern in patterns for m in pattern.finditer(text)]
        if not text.isascii():
            spans += [m.span() for m in _ABOVE_ASCII.finditer(text)]
        if len(patterns) > 1 or not text.isascii():
            spans.sort()  # (each pattern's words in order; words of different first letters never overlap)
        if spans:
            found[sid] = spans
            words[sid] = [text[lo:hi] for lo, hi in spans]
    stems = impact.stems_of(conn, words) if words else {}
    made = _split_snippets(conn, terms, prefix, slow, tokens) if slow else {}
    for sid, spans in found.items():
        these = stems.get(sid)
        if these is None:
            continue  # (a word that is not one token: ``snippet()`` makes it)
        matched = [
            span
            for span, stem in zip(spans, these, strict=True)
            if stem in terms or (prefix is not None and stem.startswith(prefix))
        ]
        if matched:
            made[sid] = _marked(texts[sid], matched)
    return made


@cache
def _starting(first: str) -> re.Pattern:
    """The words (runs of ``impact.WORD``) that start with this ASCII character, in either case. (One pattern per
    character, compiled once: a class of several letters and ``\\x80-\\uffff`` would be compiled for each query's
    letters, ~4 ms.)"""
    both = re.escape(first.lower()) + re.escape(first.upper())
    return re.compile(rf"(?<![^\W_])[{both}]{impact.WORD.pattern.removesuffix('+')}*")


_ABOVE_ASCII = re.compile(rf"(?<![^\W_])(?=[^\x00-\x7f]){impact.WORD.pattern}")  # words starting above ASCII


def _word_spans(pieces: list[str]) -> list[tuple[int, int]]:
    """The (start, end) of each word of a text split by ``_SPLIT``."""
    ends = list(accumulate(map(len, pieces)))
    return list(zip(ends[0::2], ends[1::2], strict=False))  # (the last separator starts no word)


def _slow_spans(conn: sqlite3.Connection, texts: dict[int, str], tokens: int, sequences: dict) -> dict:
    """Token spans of texts holding characters from U+0300 on, split by ``query.is_token_char``; their tokens from
    FTS5's tokenizer (into ``sequences``)."""
    from catalog.search.query import is_token_char

    spans: dict[int, list[tuple[int, int]]] = {}
    for sid, text in texts.items():
        found, start = [], None
        for i, char in enumerate(text):
            if is_token_char(char):
                if start is None:
                    start = i
            elif start is not None:
                found.append((start, i))
                start = None
        if start is not None:
            found.append((start, len(text)))
        if 0 < len(found) <= tokens:
            spans[sid] = found
    if spans:
        sequences.update(impact.token_sequences(conn, {sid: texts[sid] for sid in spans}))
    return spans


def _runs(seq: list[str], terms, prefix: str | None, phrase: list[str]) -> list[tuple[int, int]]:
    """(first, last) token of each highlighted run, in order."""
    if not phrase:
        return [
            (i, i)
            for i, t in enumerate(seq)
            if t in terms or (prefix is not None and t is not None and t.startswith(prefix))
        ]
    n, runs = len(phrase), []
    for i in range(len(seq) - n + 1):
        if seq[i : i + n] == phrase:
            if runs and i <= runs[-1][1]:
                runs[-1] = (runs[-1][0], i + n - 1)
            else:
                runs.append((i, i + n - 1))
    return runs


def snippet_terms(
    conn: sqlite3.Connection, words, prefix: str | None, phrase: str | None = None
) -> tuple[frozenset[str], str | None, tuple[str, ...]] | None:
    """What a plain-word query (or its one prefix, or its one phrase) highlights: (terms, prefix, phrase's terms);
    ``None`` for any other query."""
    if phrase is not None:
        seq = impact.token_sequences(conn, {0: phrase}).get(0, [])
        return (frozenset(), None, tuple(seq)) if len(seq) > 1 else None
    if prefix is not None:
        stems = stems_of(conn, prefix)
        return (frozenset(), stems[0], ()) if len(stems) == 1 else None
    if words is None:
        return None
    groups = _terms(conn, words)
    return None if groups is None else (frozenset(t for group in groups for t in group), None, ())


# -- one phrase, scored in one pass -----------------------------------------------------------------------------
def phrase_page(
    conn: sqlite3.Connection,
    match: str,
    phrase: str,
    excluded: tuple[int, ...],
    offset: int,
    limit: int,
    most: int,
) -> tuple[list[tuple[float, int]], int, tuple[int, ...]] | None:
    """A lone quoted phrase ranked by FTS5's bm25 from one pass over its matches: FTS5's ``bm25()`` walks the
    phrase over the whole index once more for its df (it doubles the cost); here the one pass gives the df, and
    each match's phrase count and length come from its text, tokenized as the index does. ``None`` past ``most``
    matches. Gives (page, total, every match). With the phrase index (``catalog/store/pairs.py``) the matches,
    their counts and lengths come from it (``phrases.pair_phrase``) instead: no walk of the words, no text."""
    from catalog.search import phrases

    wanted = impact.token_sequences(conn, {0: phrase}).get(0, [])
    rows, tokens = impact.averages(conn)
    if not wanted or not rows or not tokens:
        return None
    avgdl, n = tokens / rows, len(wanted)
    indexed = phrases.pair_phrase(conn, wanted, most)
    if indexed is not None:
        rowids, tfs, lengths = indexed
        hidden, idf = _Hidden(conn, excluded), impact.idf(rows, len(rowids))
        scored = sorted(
            (-idf * impact.weight(tfs[sid], lengths[sid], avgdl), sid)
            for sid in rowids
            if not hidden.hides(sid)
        )
        return scored[offset : offset + limit], len(scored), tuple(rowids)
    rowids = [
        r[0]
        for r in conn.execute(
            "SELECT rowid FROM segments_fts WHERE segments_fts MATCH ? LIMIT ?", (match, most + 1)
        )
    ]
    if len(rowids) > most:
        return None
    if not rowids:
        return [], 0, ()
    texts = dict(_texts(conn, rowids))
    sequences = impact.token_sequences(conn, texts)
    idf = impact.idf(rows, len(rowids))
    hidden = _Hidden(conn, excluded)
    scored = []
    for sid in rowids:
        seq = sequences.get(sid)
        if seq is None:
            return None
        first = wanted[0]
        tf = sum(1 for i, term in enumerate(seq) if term == first and seq[i : i + n] == wanted)
        if not tf:  # FTS5 matched what the text does not show (cannot happen): let FTS5 rank it
            return None
        if not hidden.hides(sid):
            scored.append((-idf * impact.weight(tf, len(seq), avgdl), sid))
    scored.sort()
    return scored[offset : offset + limit], len(scored), tuple(rowids)
