"""Matches that run across segment cuts: a phrase (or all the words of a query) said over two or more consecutive
segments is one hit, starting at its first word, in the segment where that word is.

``segment_windows_fts`` (schema ``MIGRATION_SEGMENT_WINDOWS``) indexes each segment's text followed by the head
of the next segments (``HEAD_CHARS``). A window that matches while its segment alone does not, with the match
starting in the segment's own text and ending past the cut, is a cross-cut hit. A match lying wholly in the head
belongs to the next segment (found there, on its own or through its window), so no moment is reported twice.
Cross-cut hits are ranked with the segments' own hits by the same bm25 formula, merged page by page.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace

from catalog.models import MATCH_CLOSE, MATCH_OPEN
from catalog.search import facts, phrases
from catalog.search.paths import Page, Plan, merge_ranked
from catalog.search.query import Query, words_of
from catalog.store import cuts, impact
from catalog.store.schema import HEAD_SEGMENTS

OPEN, CLOSE = MATCH_OPEN, MATCH_CLOSE
TOTAL_LIMIT = 1_000  # a query said in more segments than this is not looked for across cuts
# a query every word of which is said in at least this many segments is not looked for across cuts: matching it
# over the windows walks every window (~70 ms for "of of that" at 1M segments); at 1M that is some 70 of the
# commonest words, and a small archive never reaches it. Counting a word stops at the limit (~1 ms).
COMMON_WORD = 30_000
WINDOW_LIMIT = 500  # window matches looked at (in id order): beyond them, cross-cut hits are left out
SNIPPET_BEFORE = 120  # characters of the segment shown before the match in a cross-cut hit's snippet
LOOSE_SLACK = 3  # an unquoted query's words may run over at most (words + slack) words to count as one run
ENABLED = True  # switched off only to show that the quote test needs it
NEAR = "uscm_near_windows"
WINDOW_TOKENIZER = "unicode61 remove_diacritics 2"  # segment_windows_fts's (schema MIGRATION_SEGMENT_WINDOWS)
NEAR_LIMIT = 40  # a lone phrase held or crossing in at most this many segments: their windows alone are read
CUTS = True  # a lone phrase's crossings looked for only where a cut holds one of its pairs (catalog/store/cuts.py)


@dataclass(frozen=True)
class Crossing:
    segment_id: int
    offset: int  # where, in the segment's text, the match begins
    score: float  # bm25 over the window (lower is better, as FTS5's)
    snippet: str  # the window's text around the match, with OPEN/CLOSE markers


def applies(query: Query) -> bool:
    """Only a query of two or more words can run across a cut."""
    words = sum(len(group[0].words()) for group in query.groups)
    return ENABLED and words >= 2


def with_crossings(
    conn: sqlite3.Connection,
    plan: Plan,
    query: Query,
    offset: int,
    limit: int,
    run_page: Callable[[int, int], Page],
    literal=None,
) -> Page:
    """The page of hits, cross-cut ones merged in by score. A query said in more than ``TOTAL_LIMIT`` segments
    is not looked for across cuts (its hits there would be a small share, and not ranked beyond the first)."""
    page = run_page(offset, limit)
    if not applies(query) or page.total > TOTAL_LIMIT or _only_common_words(conn, query):
        return page
    # a first tier (words said together, catalog/search/proximity.py) is ranked by bm25 of its own expression:
    # cross-cut hits are scored by the same one over their window, so that the two compare
    by = page.ranked_by or plan.match
    crossings, others = find(conn, plan, query, literal, page.matched, by)
    if not crossings and not others:
        return page
    if offset:
        page = run_page(0, offset + limit)
    if page.ordered_by == "relevance":
        lead = len(page.rowids) if page.leading is None else page.leading
        missing = [r for r in page.rowids[:lead] if r not in page.scores]
        scores = {**page.scores, **_segment_scores(conn, by, missing)}
        # both runs are in RANKING order (bm25, ties by segment id): merged, not sorted
        ranked = [(scores.get(r, 0.0), r) for r in page.rowids[:lead]]
        order = merge_ranked(ranked, [(c.score, c.segment_id) for c in crossings])
        order += [c.segment_id for c in others] + page.rowids[lead:]
    else:
        order = page.rowids + [c.segment_id for c in (*crossings, *others)]
    crossings += others
    snippets = {**page.snippets, **{c.segment_id: c.snippet for c in crossings}}
    starts = {**page.starts, **{c.segment_id: c.offset for c in crossings}}
    chosen = order[offset : offset + limit]
    return replace(page, rowids=chosen, total=page.total + len(crossings), snippets=snippets, starts=starts)


def _only_common_words(conn: sqlite3.Connection, query: Query) -> bool:
    """Whether every word of the query is said in at least ``COMMON_WORD`` segments (stops at the first that is
    not; longer words first, as they are the rarer ones in speech)."""
    words = sorted(
        dict.fromkeys(w.lower() for group in query.groups for w in group[0].words()), key=len, reverse=True
    )
    known = phrases.every_word_common(conn, words, COMMON_WORD)  # the kept df: one lookup
    if known is not None:
        return known
    for word in words:
        quoted = '"' + word.replace('"', '""') + '"'
        said = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM segments_fts WHERE segments_fts MATCH ? LIMIT ?)",
            (quoted, COMMON_WORD),
        ).fetchone()[0]
        if said < COMMON_WORD:
            return False
    return bool(words)


def find(
    conn: sqlite3.Connection,
    plan: Plan,
    query: Query,
    literal=None,
    matched: tuple[int, ...] | None = None,
    ranked_by: str | None = None,
) -> tuple[list[Crossing], list[Crossing]]:
    """The cross-cut hits the plan allows, in ``RANKING`` order by bm25 of ``ranked_by`` (the first tier's
    expression; the plan's by default) over their window; then, apart and ranked by the plan's expression, any
    that ``ranked_by`` does not match. Windows whose segment matches alone are left out (by the ids the page's
    pass already found, ``matched``, or by asking FTS5 again). Most others hold the match in their head only (it
    belongs to the next segment): they are dropped before anything is scored."""
    by = ranked_by or plan.match
    # a lone phrase whose segment matches are known: one walk gives the windows and the phrase's df over them,
    # and the hits are scored from it (search/phrases.py) rather than by FTS5's bm25()
    lone = matched is not None and plan.phrase is not None and plan.match == plan.words_match == by
    windows, near = 0, None
    crossing = _cut_crossings(conn, plan.phrase) if lone and literal is None else None
    if crossing == []:
        return [], []  # no segment's cut holds one of its pairs: nothing to walk the windows for
    if crossing:
        near = _near_windows(conn, plan.match, matched, crossing, plan.phrase)
    if near is not None:
        rows, windows = near
    elif lone:
        rows, windows = phrases.window_matches(conn, plan.match, matched, WINDOW_LIMIT)
    else:
        if matched is not None:
            alone, param = "+rowid NOT IN (SELECT value FROM json_each(?))", json.dumps(matched)
        else:
            alone = "rowid NOT IN (SELECT rowid FROM segments_fts WHERE segments_fts MATCH ?)"
            param = plan.match
        rows = conn.execute(
            "SELECT rowid, highlight(segment_windows_fts, 0, char(2), char(3)) "
            f"FROM segment_windows_fts WHERE segment_windows_fts MATCH ? AND {alone} LIMIT ?",
            (plan.match, param, WINDOW_LIMIT),
        ).fetchall()
    if not rows:
        return [], []
    texts = _allowed_texts(conn, plan, [r[0] for r in rows])
    phrase = len(query.groups) == 1 and " " in query.groups[0][0].text
    typed = [" ".join(group[0].words()).lower() for group in query.groups]
    starts, marks = {}, {}
    for rowid, marked in rows:
        if rowid in texts:
            at = _crossing_start(marked, len(texts[rowid]), typed, phrase, literal)
            if at is not None:
                starts[rowid], marks[rowid] = (at, _snippet(marked, at)), marked
    scores = phrases.window_scores(conn, plan.phrase, marks, windows) if lone else None
    if scores is None:
        scores = _window_scores(conn, by, list(starts))  # in RANKING order
    left = [r for r in starts if r not in {r for r, _ in scores}]
    rest = _window_scores(conn, plan.match, left) if by != plan.match else []
    return tuple(
        [Crossing(r, starts[r][0], score, starts[r][1]) for r, score in found] for found in (scores, rest)
    )


def _cut_crossings(conn: sqlite3.Connection, phrase: str) -> list[int] | None:
    """The segments over whose cut a lone phrase may run: those whose cut holds one of its pairs
    (``catalog/store/cuts.py``) and whose tokens around the cut (or, past those kept, its window's), stemmed, hold
    it from their own tokens past the cut; a superset of the windows' crossings. ``None`` when that cannot be told
    (no current pairs: an older or a PostgreSQL catalog)."""
    known = facts.of(conn)
    if not CUTS or not known.cuts_ready or not known.lists_ready:
        return None
    wanted = impact.token_sequences(conn, {0: phrase}).get(0, [])
    if len(wanted) < 2:
        return None
    sure, maybe = cuts.candidates(conn, wanted)
    return sorted({*sure, *cuts.crossing(conn, wanted, maybe)})


def _near_windows(
    conn: sqlite3.Connection,
    match: str,
    matched: tuple[int, ...],
    crossing: list[int],
    phrase: str | None = None,
) -> tuple[list[tuple[int, str]], int] | None:
    """What ``phrases.window_matches`` gives (the marked windows not among ``matched``, in id order; how many
    windows match in all), without walking every window: a window holds the phrase only where it starts in the
    segment's own text (the segment holds it, ``matched``, or runs it over its cut, ``crossing``) or in its head,
    in one of the ``HEAD_SEGMENTS`` segments that follow. So the windows of those segments and of the ones before
    them are all that can match. ``None`` when they are more than ``NEAR_LIMIT``. ``phrase``: the lone phrase
    ``match`` stands for, matched and marked here when it and the windows are ASCII (``_marked_here``)."""
    starts = sorted({*matched, *crossing})
    if len(starts) > NEAR_LIMIT:
        return None
    marks = ",".join("?" * len(starts))
    before = conn.execute(
        "SELECT p.id FROM segments s JOIN segments p ON p.session_id = s.session_id AND p.position < s.position "
        f"AND p.position >= (SELECT min(position) FROM (SELECT position FROM segments b WHERE b.session_id = "
        f"s.session_id AND b.position < s.position ORDER BY b.position DESC LIMIT {HEAD_SEGMENTS})) "
        f"WHERE s.id IN ({marks})",
        starts,
    ).fetchall()
    ids = sorted({*starts, *(r[0] for r in before)})
    marks = ",".join("?" * len(ids))
    texts = conn.execute(f"SELECT id, text FROM segment_windows WHERE id IN ({marks})", ids).fetchall()
    rows = _marked_here(texts, phrase) if phrase is not None else None
    if rows is None:
        # matched and marked by FTS5 itself in a private table of the same tokenizer: the same words, the same
        # marks (asking the window index for these ids would walk its lists once per id)
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{NEAR} USING fts5(text, tokenize='{WINDOW_TOKENIZER}')"
        )
        try:
            conn.executemany(f"INSERT INTO temp.{NEAR}(rowid, text) VALUES (?, ?)", texts)
            rows = conn.execute(
                f"SELECT rowid, highlight({NEAR}, 0, char(2), char(3)) FROM temp.{NEAR} WHERE {NEAR} MATCH ? "
                "ORDER BY rowid",
                (match,),
            ).fetchall()
        finally:
            conn.execute(f"DELETE FROM temp.{NEAR}")
    alone = frozenset(matched)
    return [(rowid, marked) for rowid, marked in rows if rowid not in alone][:WINDOW_LIMIT], len(rows)


def _window_scores(conn: sqlite3.Connection, match: str, rowids: list[int]) -> list[tuple[int, float]]:
    """(id, bm25) of these windows in ``RANKING`` order (bm25, ties by id), in one pass over their span (one count
    of the query for its IDF)."""
    if not rowids:
        return []
    rows = conn.execute(
        "SELECT rowid, bm25(segment_windows_fts) AS score FROM segment_windows_fts "
        "WHERE segment_windows_fts MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN (SELECT value FROM json_each(?)) "
        "ORDER BY score, rowid",
        (match, min(rowids), max(rowids), json.dumps(rowids)),
    )
    return rows.fetchall()


def _allowed_texts(conn: sqlite3.Connection, plan: Plan, rowids: list[int]) -> dict[int, str]:
    """Texts of those segments that the plan's filters (sessions, speaker) allow."""
    where = plan.where.replace("uscm_literal_at(s.text) IS NOT NULL", "1")  # exact: checked on the window
    sessions, params = "", list(plan.params)
    for ids, sql in ((plan.scope, "IN"), (plan.allowed, "IN"), (plan.excluded or None, "NOT IN")):
        if ids is not None:
            sessions += f" AND s.session_id {sql} ({','.join('?' * len(ids)) or 'NULL'})"
            params += ids
    marks = ",".join("?" * len(rowids))
    rows = conn.execute(
        f"SELECT s.id, s.text FROM segments s JOIN sessions se ON se.id = s.session_id "
        f"WHERE s.id IN ({marks}) AND {where}{sessions}",
        (*rowids, *params),
    ).fetchall()
    return dict(rows)


def _crossing_start(marked: str, cut: int, typed: list[str], phrase: bool, literal) -> int | None:
    """Where the match begins in the segment's own text, if it starts there and runs past the cut."""
    plain, spans = _spans(marked)
    if literal is not None:
        at = literal(plain)
        if at is None or at >= cut:
            return None
        return at
    run = _shortest_run(plain, spans, typed) if not phrase else _first_crossing(spans, cut)
    if run is None:
        return None
    start, end = run
    if start >= cut or end <= cut:
        return None
    if not phrase and len(words_of(plain[start:end])) > len(" ".join(typed).split()) + LOOSE_SLACK:
        return None
    return start


def _spans(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """The text without markers, and the (start, end) of each marked word in it (a close marker with no open one
    before it marks nothing; of two opens, the later counts)."""
    plain, spans, start = [], [], None
    length = 0
    for part in _MARKER.split(marked):
        if part == OPEN:
            start = length
        elif part == CLOSE:
            if start is not None:
                spans.append((start, length))
            start = None
        elif part:
            plain.append(part)
            length += len(part)
    return "".join(plain), spans


_MARKER = re.compile(f"([{OPEN}{CLOSE}])")
# Below U+0080 the windows' tokenizer (unicode61, no stemming) makes a token of each run of ASCII letters and
# digits, lower-cased (tests/test_search_stems.py checks the split against FTS5 up to U+0300).
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


def _marked_here(texts: list[tuple[int, str]], phrase: str) -> list[tuple[int, str]] | None:
    """The texts that hold ``phrase`` (its tokens one after another), in id order, each marked as FTS5's
    ``highlight()`` marks a phrase: one span from its first token's start to its last one's end, instances that
    share a token as one span. ``None`` when the phrase or a text is not ASCII (FTS5 then does it)."""
    if not phrase.isascii() or not all(text.isascii() for _id, text in texts):
        return None
    wanted = _ASCII_WORD.findall(phrase.lower())
    if not wanted:
        return None
    n, first = len(wanted), wanted[0]
    found = []
    for rowid, text in sorted(texts):
        if first not in text.lower():
            continue
        words = list(_ASCII_WORD.finditer(text))
        tokens = [w.group().lower() for w in words]
        runs: list[list[int]] = []  # [first token, last token] of each span
        for i in range(len(tokens) - n + 1):
            if tokens[i] == first and tokens[i : i + n] == wanted:
                if runs and i <= runs[-1][1]:
                    runs[-1][1] = i + n - 1
                else:
                    runs.append([i, i + n - 1])
        if runs:
            out, at = [], 0
            for a, b in runs:
                start, end = words[a].start(), words[b].end()
                out += [text[at:start], OPEN, text[start:end], CLOSE]
                at = end
            out.append(text[at:])
            found.append((rowid, "".join(out)))
    return found


def _first_crossing(spans: list[tuple[int, int]], cut: int) -> tuple[int, int] | None:
    """A phrase is one marked span: the first one that runs over the cut."""
    return next(((a, b) for a, b in spans if a < cut < b), None)


def _shortest_run(plain: str, spans: list[tuple[int, int]], typed: list[str]) -> tuple[int, int] | None:
    """The shortest stretch holding every different marked word, as often as the query says it (the query's
    words said together)."""
    if not spans:
        return None
    forms = [" ".join(words_of(plain[a:b])).lower() for a, b in spans]
    needed = {form: min(max(typed.count(form), 1), forms.count(form)) for form in forms}
    best, counts, left = None, {}, 0
    for right, form in enumerate(forms):
        counts[form] = counts.get(form, 0) + 1
        while all(counts.get(f, 0) >= n for f, n in needed.items()):
            span = (spans[left][0], spans[right][1])
            if best is None or span[1] - span[0] < best[1] - best[0]:
                best = span
            counts[forms[left]] -= 1
            if not counts[forms[left]]:
                del counts[forms[left]]
            left += 1
    return best


def _snippet(marked: str, at: int) -> str:
    """The window from a little before the match to its end, markers kept (offsets counted without them)."""
    seen, begin = 0, 0
    for index, char in enumerate(marked):
        if char in (OPEN, CLOSE):
            continue
        if seen == max(at - SNIPPET_BEFORE, 0):
            begin = index
            break
        seen += 1
    head = "…" if begin else ""
    space = marked.find(" ", begin) if begin else -1
    begin = space + 1 if begin and 0 <= space < begin + 20 else begin
    return head + marked[begin:] + "…"


def _segment_scores(conn: sqlite3.Connection, match: str, rowids: list[int]) -> dict[int, float]:
    """bm25 of these segments in one FTS5 pass over their span (``rowid IN (...)`` would start FTS5 anew, and
    recount the query for its IDF, once per id)."""
    if not rowids:
        return {}
    rows = conn.execute(
        "SELECT rowid, bm25(segments_fts) FROM segments_fts WHERE segments_fts MATCH ? "
        "AND rowid BETWEEN ? AND ? AND +rowid IN (SELECT value FROM json_each(?))",
        (match, min(rowids), max(rowids), json.dumps(rowids)),
    )
    return dict(rows.fetchall())
