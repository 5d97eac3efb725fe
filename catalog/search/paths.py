"""How a planned search finds one page of segment ids and the total, at the cost the archive's size allows.

Three paths, chosen by ``search.plan``:

- **global** (no filter, or one that leaves out only a few sessions): FTS5 alone, no join. Queries that are one
  group of words are counted first (a doclist walk: 18 ms for ``the`` in 1M segments); other queries are scored
  in one capped pass, and when that pass holds every match they are ranked right there.
- **scoped** (a filter allowing at most ``SCOPE_LIMIT`` sessions): each session's segments are one rowid range,
  which FTS5 walks directly (all of them in one statement); the ids found are then ranked by bm25: for plain
  words all AND-ed, computed from the impact lists and each match's length (``search/either.py``), else in one
  statement that scores only them.
- **joined** (anything else): FTS5 joined with segments and sessions, counted with a cap.

Every path ranks by one order, ``RANKING``: bm25 (best first), ties by segment id. Statements that also make the
page's snippets say it as FTS5's ``ORDER BY rank`` (``BY_RANK``), which FTS5 sorts itself, scoring every match
and keeping equal scores in rowid order: the same order, with ``snippet()`` run for the page's rows alone
(``tests/test_search_ranking.py`` holds the two spellings to one order). No path sorts in Python.

The rule has one more key, first, only while the archive holds an automatic (ASR) transcript nobody has reviewed:
such a line ranks below the caption lines (``ASR_TIER``), bm25 and segment id ordering within each tier. Every
path asks ``ranking(plan)`` / ``by_rank(plan)`` for its ORDER BY, so the tier is in the one rule, not beside it.

One key comes before it, and only for an unquoted query of three or more words: the segments where its words are
said together (FTS5 ``NEAR``, ``search/proximity.py``) are a first tier, listed before the rest; each tier is in
``RANKING`` order over its own expression (the first tier's: the query AND its ``NEAR``; two runs of the same paths,
concatenated, ``Page.ranked_by`` naming the first tier's). Hits that run across a segment cut
(``search/crosscut.py``) join the first tier (or the one list when there is no tier) by the same rule, bm25 of the
same expression over their window with ties by segment id: ``merge_ranked`` merges runs already in that order, it
does not sort.

Whatever the path, more than ``rank_limit`` matches are not ranked by bm25 (it would cost up to a second):
the page then lists the newest sessions first, in spoken order (``ordered_by="date"``).
"""

from __future__ import annotations

import heapq
import json
import sqlite3
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from catalog.search import either, facts, lists

RANK_LIMIT = 20_000  # beyond this many matches, newest first instead of bm25 over everything
PREFIX_RANK_LIMIT = 5_000  # bm25 over a prefix query costs several times more per match
SCORED_PASS = 1_000  # a query that is not one group of words is scored in one pass when it matches this few
ROWID_LIST_LIMIT = 500_000  # a prefix query matching up to this many is paged from one list of ids
SCOPE_LIMIT = 64  # up to this many scoped (or left out) sessions are walked as rowid ranges
# a speaker filter's matches up to this many are checked one by one (``_speaker_rows``)
SPEAKER_LOOKUPS = 1_000
LISTS = True  # rank from the impact lists where they decide (switched off only to show what the tests need)

# The one ranking: bm25 (lower is better), ties by segment id. ``BY_RANK`` is FTS5's spelling of the same order.
RANKING = "bm25(segments_fts), rowid"
BY_RANK = "rank"
# The tier ahead of it while the archive holds an unreviewed automatic transcript (``Plan.asr_last``): true (after
# false) for a line of such a track whose words still carry the recogniser's confidence (no staff correction).
ASR_TIER = (
    "EXISTS (SELECT 1 FROM segments a JOIN tracks t ON t.id = a.track_id WHERE a.id = {rowid} "
    "AND a.confidence IS NOT NULL AND t.source = 'asr' AND t.reviewed = 0)"
)


def merge_ranked(*runs: Iterable[tuple[float, int]]) -> list[int]:
    """The ids of several runs of ``(bm25, segment id)`` pairs, each already in ``RANKING`` order, in that one order
    (a merge of sorted runs, not a sort)."""
    return [rowid for _score, rowid in heapq.merge(*runs)]


SNIPPET_TOKENS = 32
# Control characters mark matches; search.marked_html escapes the text, then turns them into <mark> tags. The
# snippet also tells where the first match shown begins (search.match_offset), so no highlight() is needed.
SNIPPET = f"snippet(segments_fts, 0, char(2), char(3), '…', {SNIPPET_TOKENS})"
SNIPPET_FIRST = f"CASE WHEN uscm_among_first(rowid) THEN {SNIPPET} END"
# What a hit is made of (``search._hits``), one row a segment, and where it comes from (``{id}``: the segment id):
# the segment's own columns, which ``hit_rows`` completes with its session's title and date, its speaker's name
# (the one merged into, if any) and its track's language, from ``details`` (kept per data version).
HIT_ROW = "s.id, s.session_id, s.start, s.end, s.speaker_id, s.text, s.marks, s.track_id"
HIT_FROM = "CROSS JOIN segments s ON s.id = {id}"
JOINED = "FROM segments_fts f CROSS JOIN segments s ON s.id = f.rowid CROSS JOIN sessions se ON se.id = s.session_id"
RANGED = (
    "FROM segments_fts f CROSS JOIN segments s ON s.id = f.rowid "
    "WHERE segments_fts MATCH ? AND f.rowid BETWEEN ? AND ? AND s.session_id = ? AND {where}"
)


@dataclass(frozen=True)
class Plan:
    """A search ready to run. Exactly one of ``scope`` / ``allowed`` / neither (global) applies."""

    match: str  # the FTS5 expression
    one_group: bool  # a single group of single words or prefixes: cheap to count exactly
    has_prefix: bool
    where: str = "1"  # extra SQL over ``s`` (segments) and ``se`` (sessions)
    params: tuple = ()
    scope: tuple[int, ...] | None = None  # the only sessions to search (few), newest first
    allowed: tuple[int, ...] | None = None  # the only sessions to search (many): joined path
    excluded: tuple[int, ...] = ()  # global path: sessions to leave out (drafts, filtered out)
    asr_last: bool = False  # set by ``run``: the archive holds unreviewed ASR lines (the tier applies)
    # the query as groups of plain words, when it is nothing else (no phrase, prefix or exclusion), with the
    # expression they stand for: the impact lists may rank it (``search/lists.py``) while ``match`` is that one
    words: tuple[tuple[str, ...], ...] | None = None
    words_match: str | None = None
    prefix: str | None = None  # the query is this one prefix (``word*``) alone, spelt ``words_match``
    # ``where`` is only the speaker filter of these speaker ids (their words, or words no transcript attributes)
    speakers: tuple[int, ...] | None = None
    phrase: str | None = None  # the query is this one quoted phrase alone, spelt ``words_match``

    @property
    def rank_limit(self) -> int:
        return PREFIX_RANK_LIMIT if self.has_prefix else RANK_LIMIT


@dataclass(frozen=True)
class Page:
    rowids: list[int]
    total: int
    ordered_by: str = "relevance"
    # snippets of rows whose FTS5 pass already made them: no second MATCH is needed for those.
    snippets: dict[int, str] = field(default_factory=dict)
    # where the match begins in the text of rows whose snippet is not theirs alone (cross-cut hits)
    starts: dict[int, int] = field(default_factory=dict)
    leading: int | None = None  # rows (from the top) of a first tier ranked above the rest, if tiered
    ranked_by: str | None = None  # the FTS5 expression whose bm25 ranks that first tier (else the plan's)
    scores: dict[int, float] = field(default_factory=dict)  # bm25 of rows whose ranking pass gave it
    matched: tuple[int, ...] | None = None  # every id FTS5 matched, when one pass took them all
    rows: dict[int, tuple] = field(default_factory=dict)  # ``HIT_ROW`` of rows a ranking pass already read


def ranking(plan: Plan, *, rowid: str = "rowid", score: str = "bm25(segments_fts)") -> str:
    """The one ranking as an ORDER BY list (``RANKING``, with the ASR tier first when it applies); ``rowid`` and
    ``score`` name the columns where a statement calls them something else."""
    order = RANKING if (rowid, score) == ("rowid", "bm25(segments_fts)") else f"{score}, {rowid}"
    if not plan.asr_last:
        return order
    qualified = rowid if "." in rowid else f"segments_fts.{rowid}"  # inside the tier's subquery
    return f"{ASR_TIER.format(rowid=qualified)}, {order}"


def by_rank(plan: Plan, table: str = "") -> str:
    """The same ranking spelt with FTS5's ``rank`` (``BY_RANK``), for statements that also make snippets. With the
    tier ahead, SQLite sorts rather than FTS5, so the segment id tie-break is spelt out."""
    if not plan.asr_last:
        return f"{table}{BY_RANK}"
    return f"{ASR_TIER.format(rowid=(table or 'segments_fts.') + 'rowid')}, {table}{BY_RANK}, {table}rowid"


def _has_unreviewed_asr(conn: sqlite3.Connection) -> bool:
    return facts.of(conn).unreviewed_asr


def run(conn: sqlite3.Connection, plan: Plan, offset: int, limit: int) -> Page:
    plan = replace(plan, asr_last=_has_unreviewed_asr(conn))
    if plan.scope is not None:
        return _scoped(conn, plan, offset, limit)
    if plan.where == "1" and plan.allowed is None:
        return _global(conn, plan, offset, limit)
    return _joined(conn, plan, offset, limit)


# -- global ----------------------------------------------------------------------------------------------------
def _global(conn: sqlite3.Connection, plan: Plan, offset: int, limit: int) -> Page:
    # (every term has a list since migration 16, a rare one complete: plain words are asked of the lists first)
    if plan.match == plan.words_match and not plan.asr_last and LISTS:
        page = _from_lists(conn, plan, offset, limit)
        if page is not None:
            return page
    if plan.has_prefix:
        page = _global_prefix(conn, plan, offset, limit)
        if page is not None:
            return page
    if plan.phrase is not None and plan.match == plan.words_match and not plan.asr_last and LISTS:
        found = lists.phrase_page(conn, plan.match, plan.phrase, plan.excluded, offset, limit, SCORED_PASS)
        if found is not None:
            rows, total, matched = found
            scores = {rowid: score for score, rowid in rows}
            return Page([rowid for _score, rowid in rows], total, scores=scores, matched=matched)
    if not plan.one_group:
        page = _scored_pass(conn, plan, offset, limit)
        if page is not None:
            return page
        total = _fts_count(conn, plan.match, plan.rank_limit + 1)
        if total <= plan.rank_limit:
            total -= _excluded_count(conn, plan)
            return _global_ranked(conn, plan, offset, limit, total)
    known = lists.lone_total(conn, plan.words) if plan.match == plan.words_match and LISTS else None
    total = (_fts_count(conn, plan.match, None) if known is None else known) - _excluded_count(conn, plan)
    if total > plan.rank_limit:
        return Page(_page_by_date(conn, plan, _global_sessions(conn, plan), offset, limit), total, "date")
    return _global_ranked(conn, plan, offset, limit, total)


def _from_lists(conn: sqlite3.Connection, plan: Plan, offset: int, limit: int) -> Page | None:
    """The page ranked from the impact lists, when they decide it exactly (``search/lists.py``)."""
    either_words = plan.words is not None and len(plan.words) == 1 and len(plan.words[0]) > 1
    if (
        plan.prefix is None
        and not either_words
        and (plan.words is None or any(len(g) > 1 for g in plan.words))
    ):
        return None  # (OR-ed words next to others: see lists.page)
    hidden = lambda: _excluded_count(conn, plan)  # noqa: E731
    count = lambda: _fts_count(conn, plan.match, None)  # noqa: E731
    # one snapshot: the lists, their df and FTS5's totals as one commit left them (another process may write)
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        if plan.prefix is not None:
            found = lists.prefix_page(conn, plan.prefix, plan.excluded, offset, limit, hidden)
        elif either_words:  # a OR b: search/either.py
            found = either.or_page(conn, plan.words[0], plan.excluded, offset, limit, hidden)
        else:
            found = lists.page(conn, plan.words, plan.excluded, offset, limit, count, hidden)
    finally:
        if own:
            conn.execute("COMMIT")
    if found is None:
        return None
    rows, total = found
    return Page([rowid for _score, rowid in rows], total, scores={rowid: score for score, rowid in rows})


def _scored_pass(conn: sqlite3.Connection, plan: Plan, offset: int, limit: int) -> Page | None:
    """Score every match in one pass, if there are at most ``SCORED_PASS``; the first rows seen also get their
    snippet (a small result is then complete without another query). ``None`` when there are more."""
    first: set[int] = set()

    def among_first(rowid: int) -> bool:
        if rowid not in first and len(first) < offset + limit:
            first.add(rowid)
        return rowid in first

    conn.create_function("uscm_among_first", 1, among_first)
    # The inner statement scans in rowid order and stops after SCORED_PASS + 1 matches (the snippets go to the
    # first rows it sees); the outer one puts what it found in RANKING order.
    # (MATERIALIZED: a flattened subquery would sort every match before the LIMIT.)
    scored = conn.execute(
        f"WITH scored AS MATERIALIZED (SELECT rowid AS id, bm25(segments_fts) AS score, {SNIPPET_FIRST} AS snip "
        "FROM segments_fts WHERE segments_fts MATCH ? LIMIT ?) SELECT id, score, snip FROM scored "
        f"ORDER BY {ranking(plan, rowid='scored.id', score='scored.score')}",
        (plan.match, SCORED_PASS + 1),
    ).fetchall()
    if len(scored) > SCORED_PASS:
        return None
    kept = _drop_excluded(conn, plan, scored)
    page = kept[offset : offset + limit]
    made = {row[0]: row[2] for row in page if row[2] is not None}
    scores = {row[0]: row[1] for row in page}
    matched = tuple(row[0] for row in scored)
    return Page([row[0] for row in page], len(kept), snippets=made, scores=scores, matched=matched)


def _global_prefix(conn: sqlite3.Connection, plan: Plan, offset: int, limit: int) -> Page | None:
    """A prefix query pays for expanding its prefix on every statement: take all its matches in one pass
    (up to ``ROWID_LIST_LIMIT``), count and page them here. ``None`` when there are more."""
    rowids = [
        r[0]
        for r in conn.execute(
            "SELECT rowid FROM segments_fts WHERE segments_fts MATCH ? ORDER BY rowid LIMIT ?",
            (plan.match, ROWID_LIST_LIMIT + 1),
        )
    ]
    if len(rowids) > ROWID_LIST_LIMIT:
        return None
    for sid, lo, hi in ranges(conn, plan.excluded):
        left_out = set(_session_rows(conn, sid, _between(rowids, lo, hi)))
        rowids = [r for r in rowids if r not in left_out] if left_out else rowids
    if len(rowids) <= plan.rank_limit:
        return _global_ranked(conn, plan, offset, limit, len(rowids))
    page: list[int] = []
    for sid, lo, hi in _chunked_ranges(conn, _global_sessions(conn, plan)):
        here = _session_rows(conn, sid, _between(rowids, lo, hi))
        page += here[offset : offset + limit - len(page)]
        offset = max(offset - len(here), 0)
        if len(page) >= limit:
            break
    return Page(page, len(rowids), "date")


def _between(rowids: list[int], lo: int, hi: int) -> list[int]:
    return rowids[bisect_left(rowids, lo) : bisect_right(rowids, hi)]


def _session_rows(conn: sqlite3.Connection, session_id: int, candidates: list[int]) -> list[int]:
    """Those of ``candidates`` (ids inside the session's range) that are the session's own, in spoken order."""
    if not candidates:
        return []
    rows = conn.execute(
        "SELECT id FROM segments WHERE session_id = ? AND id BETWEEN ? AND ? ORDER BY position",
        (session_id, candidates[0], candidates[-1]),
    ).fetchall()
    wanted = set(candidates)
    return [sid for (sid,) in rows if sid in wanted]


def _fts_count(conn: sqlite3.Connection, match: str, cap: int | None) -> int:
    if cap is None:
        sql, params = "SELECT count(*) FROM segments_fts WHERE segments_fts MATCH ?", (match,)
    else:
        sql = "SELECT count(*) FROM (SELECT rowid FROM segments_fts WHERE segments_fts MATCH ? LIMIT ?)"
        params = (match, cap)
    return conn.execute(sql, params).fetchone()[0]


def _excluded_count(conn: sqlite3.Connection, plan: Plan) -> int:
    return sum(_range_count(conn, plan, sid, lo, hi) for sid, lo, hi in ranges(conn, plan.excluded))


def _drop_excluded(conn: sqlite3.Connection, plan: Plan, scored: list[tuple]) -> list[tuple]:
    if not plan.excluded or not scored:
        return list(scored)
    ids = [row[0] for row in scored]
    left_out = {
        row[0]
        for row in conn.execute(
            f"SELECT id FROM segments WHERE id IN ({_marks(ids)}) AND session_id IN ({_marks(plan.excluded)})",
            (*ids, *plan.excluded),
        )
    }
    return [row for row in scored if row[0] not in left_out]


def _global_ranked(conn: sqlite3.Connection, plan: Plan, offset: int, limit: int, total: int) -> Page:
    """bm25 order, with each row's snippet made in the same pass (as raw FTS5 would), and the rows the page's
    hits are made of read by the same statement (``HIT_ROW``: no second statement for them)."""
    if not plan.excluded:
        inner = (
            f"SELECT rowid AS id, {SNIPPET} AS snip, rank AS score FROM segments_fts WHERE segments_fts MATCH ? "
            f"ORDER BY {by_rank(plan)} LIMIT ? OFFSET ?"
        )
        params: tuple = (plan.match, limit, offset)
    else:
        inner = (
            f"SELECT f.rowid AS id, {SNIPPET} AS snip, f.rank AS score FROM segments_fts f "
            f"CROSS JOIN segments s ON s.id = f.rowid "
            f"WHERE segments_fts MATCH ? AND s.session_id NOT IN ({_marks(plan.excluded)}) "
            f"ORDER BY {by_rank(plan, 'f.')} LIMIT ? OFFSET ?"
        )
        params = (plan.match, *plan.excluded, limit, offset)
    # the ranked rows are the outer loop (CROSS JOIN keeps them first, in their order): no sort after the LIMIT
    sql = f"SELECT r.snip, r.score, {HIT_ROW} FROM ({inner}) r {HIT_FROM.format(id='r.id')}"
    rows = conn.execute(sql, params).fetchall()
    snippets, scores = {r[2]: r[0] for r in rows}, {r[2]: r[1] for r in rows}
    made = hit_rows(conn, [r[2:] for r in rows])
    return Page([r[2] for r in rows], total, snippets=snippets, scores=scores, rows={r[0]: r for r in made})


@dataclass(frozen=True)
class Details:
    """What a hit shows beside its segment's own columns, for every session, speaker and track."""

    sessions: dict[int, tuple[str, str | None]]  # session id -> (title, date)
    speakers: dict[int, str | None]  # speaker id -> the name shown (of the speaker it is merged into, if any)
    languages: dict[int, str | None]  # track id -> language


def details(conn: sqlite3.Connection, rows: list[tuple] | None = None) -> Details:
    """Every session's, speaker's and track's details, kept per data version (``facts.kept``: an edit shows in
    the next search). Where nothing is kept (inside a transaction, a catalog with no file), those of ``rows``
    (``HIT_ROW``) alone are read."""
    if facts.version(conn) is not None or rows is None:
        return facts.kept(conn, ("hit details",), lambda: _read_details(conn, None))
    return _read_details(conn, rows)


def _read_details(conn: sqlite3.Connection, rows: list[tuple] | None) -> Details:
    def chosen(column: int, name: str = "id") -> tuple[str, tuple]:
        if rows is None:
            return "1", ()
        ids = tuple({row[column] for row in rows if row[column] is not None})
        return f"{name} IN ({_marks(ids) or 'NULL'})", ids

    where, params = chosen(1)
    sessions = {sid: (title, date) for sid, title, date in conn.execute(
        f"SELECT id, title, date FROM sessions WHERE {where}", params
    )}  # fmt: skip
    where, params = chosen(4, "sp0.id")
    speakers = dict(
        conn.execute(
            "SELECT sp0.id, sp.name FROM speakers sp0 LEFT JOIN speakers sp "
            f"ON sp.id = coalesce(sp0.merged_into, sp0.id) WHERE {where}",
            params,
        ).fetchall()
    )
    where, params = chosen(7)
    languages = dict(conn.execute(f"SELECT id, language FROM tracks WHERE {where}", params).fetchall())
    return Details(sessions, speakers, languages)


def hit_rows(conn: sqlite3.Connection, rows: list[tuple]) -> list[tuple]:
    """``HIT_ROW`` rows as hits are made of them: (segment id, session id, title, date, start, end, speaker's
    name, text, marks, language)."""
    if not rows:
        return []
    known = details(conn, rows)
    sessions, speakers, languages = known.sessions, known.speakers, known.languages
    made = []
    for seg_id, session_id, start, end, speaker_id, text, marks, track_id in rows:
        title, date = sessions.get(session_id, (None, None))
        made.append(
            (seg_id, session_id, title, date, start, end, speakers.get(speaker_id), text, marks,
             languages.get(track_id))
        )  # fmt: skip
    return made


def _global_sessions(conn: sqlite3.Connection, plan: Plan) -> list[int]:
    left_out = set(plan.excluded)
    rows = conn.execute(
        "SELECT id FROM sessions WHERE segment_count > 0 ORDER BY date DESC NULLS LAST, id DESC"
    ).fetchall()
    return [sid for (sid,) in rows if sid not in left_out]


# -- scoped ----------------------------------------------------------------------------------------------------
def _scoped(conn: sqlite3.Connection, plan: Plan, offset: int, limit: int) -> Page:
    """Take the matching ids session by session (each one rowid range), then rank just those by bm25 (from the
    lists, else in one statement); list newest first when there are more than the rank limit (only counting past
    it). One snapshot: the matches and what scores them as one commit left them (another process may write)."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        return _scoped_page(conn, plan, offset, limit)
    finally:
        if own:
            conn.execute("COMMIT")


def _scoped_page(conn: sqlite3.Connection, plan: Plan, offset: int, limit: int) -> Page:
    spans = ranges(conn, plan.scope)
    found = _spans_rows(conn, plan, spans, plan.rank_limit + 1)
    total = len(found)
    if total > plan.rank_limit:  # past the limit: counted session by session, listed newest first
        total = sum(_range_count(conn, plan, sid, lo, hi) for sid, lo, hi in spans)
        return Page(_page_by_date(conn, plan, list(plan.scope), offset, limit), total, "date")
    scores = _own_scores(conn, plan, found)
    if scores is not None:  # bm25 of each match from the lists and its length (search/either.py)
        ranked = sorted((score, rowid) for rowid, score in scores.items())[offset : offset + limit]
        return Page([rowid for _score, rowid in ranked], total, scores=dict((r, s) for s, r in ranked))
    return Page(_rank_rows(conn, plan, found, offset, limit), total)


def _own_scores(conn: sqlite3.Connection, plan: Plan, rowids: list[int]) -> dict[int, float] | None:
    """The matches' bm25 without FTS5 walking the words' matches across the scope's span, when the query is plain
    words all AND-ed (``either.scores``); else ``None``."""
    if not LISTS or plan.asr_last or plan.match != plan.words_match or plan.words is None:
        return None
    if any(len(group) != 1 for group in plan.words) or not rowids:
        return None
    return either.scores(conn, tuple(group[0] for group in plan.words), rowids)


def _rank_rows(conn: sqlite3.Connection, plan: Plan, rowids: list[int], offset: int, limit: int) -> list[int]:
    """These matches in bm25 order. FTS5 walks the span of the ids and scores only the ids given (ordering by
    ``rank`` instead would score every match in the span first: a speaker's sessions span the whole archive)."""
    if not rowids:
        return []
    sql = (
        "SELECT rowid FROM segments_fts WHERE segments_fts MATCH ? AND rowid BETWEEN ? AND ? "
        f"AND +rowid IN (SELECT value FROM json_each(?)) ORDER BY {ranking(plan)} LIMIT ? OFFSET ?"
    )
    params = (plan.match, min(rowids), max(rowids), json.dumps(rowids), limit, offset)
    return [row[0] for row in conn.execute(sql, params)]


def ranges(conn: sqlite3.Connection, session_ids) -> list[tuple[int, int, int]]:
    """(session id, lowest segment id, highest segment id) of each session holding segments, in given order. Kept
    per data version (``facts.kept``)."""
    ids = tuple(session_ids or ())
    if not ids:
        return []
    return list(facts.kept(conn, ("ranges", ids), lambda: tuple(_read_ranges(conn, ids))))


def _read_ranges(conn: sqlite3.Connection, ids: tuple[int, ...]) -> list[tuple[int, int, int]]:
    found: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(
            "SELECT se.id, (SELECT min(id) FROM segments WHERE session_id = se.id), "
            "(SELECT max(id) FROM segments WHERE session_id = se.id) "
            f"FROM sessions se WHERE se.id IN ({_marks(chunk)})",
            chunk,
        )
        found.update((sid, (lo, hi)) for sid, lo, hi in rows if lo is not None)
    return [(sid, *found[sid]) for sid in ids if sid in found]


def _spans_rows(
    conn: sqlite3.Connection, plan: Plan, spans: list[tuple[int, int, int]], cap: int
) -> list[int]:
    """The matches in these sessions (each one rowid range), at most ``cap``, in one statement."""
    if not spans:
        return []
    if plan.speakers is not None and LISTS and _apart(conn):
        return _speaker_rows(conn, plan, spans, cap)
    one = "SELECT f.rowid " + RANGED.format(where=plan.where)
    sql = " UNION ALL ".join([one] * len(spans)) + " LIMIT ?"
    params = [value for sid, lo, hi in spans for value in (plan.match, lo, hi, sid, *plan.params)]
    return [row[0] for row in conn.execute(sql, (*params, cap))]


def _speaker_rows(
    conn: sqlite3.Connection, plan: Plan, spans: list[tuple[int, int, int]], cap: int
) -> list[int]:
    """``_spans_rows`` for a speaker filter: FTS5's matches in each session's rowid range, kept where the id is one
    of the speaker's segments or of the segments no transcript attributes. Up to ``SPEAKER_LOOKUPS`` matches, each
    one's speaker is read by its id; past it, the speaker's segments over the same ranges (``segments_speaker``, an
    index of (speaker, id), no segment row read). Only while no session's range holds another's segments
    (``_apart``): an id in a range is then that session's."""
    one = "SELECT rowid FROM segments_fts WHERE segments_fts MATCH ? AND rowid BETWEEN ? AND ?"
    matched = [
        r[0]
        for r in conn.execute(
            " UNION ALL ".join([one] * len(spans)),
            [v for _sid, lo, hi in spans for v in (plan.match, lo, hi)],
        )
    ]
    if not matched:
        return []
    if len(matched) <= SPEAKER_LOOKUPS:  # few matches (most): each one's speaker, looked up by its id
        who = set(plan.speakers)
        allowed = set()
        for start in range(0, len(matched), 500):
            chunk = matched[start : start + 500]
            rows = conn.execute(f"SELECT id, speaker_id FROM segments WHERE id IN ({_marks(chunk)})", chunk)
            allowed.update(rowid for rowid, speaker in rows if speaker is None or speaker in who)
        return [rowid for rowid in matched if rowid in allowed][:cap]
    marks = _marks(plan.speakers)
    theirs = (
        f"SELECT id FROM segments WHERE speaker_id IN ({marks}) AND id BETWEEN ? AND ? UNION ALL "
        "SELECT id FROM segments WHERE speaker_id IS NULL AND id BETWEEN ? AND ?"
    )
    params = [v for _sid, lo, hi in spans for v in (*plan.speakers, lo, hi, lo, hi)]
    allowed = {r[0] for r in conn.execute(" UNION ALL ".join([theirs] * len(spans)), params)}
    return [rowid for rowid in matched if rowid in allowed][:cap]


def _apart(conn: sqlite3.Connection) -> bool:
    """Whether every session's segments are one rowid range no other session's segment lies in (as ingest makes
    them; a session re-ingested with more segments may reach past another). Kept per data version."""

    def read() -> bool:
        spans = sorted(
            (lo, hi)
            for lo, hi in conn.execute(
                "SELECT (SELECT min(id) FROM segments WHERE session_id = se.id), "
                "(SELECT max(id) FROM segments WHERE session_id = se.id) FROM sessions se"
            )
            if lo is not None
        )
        return all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))

    return bool(facts.kept(conn, ("sessions apart",), read))


def _range_count(conn: sqlite3.Connection, plan: Plan, session_id: int, lo: int, hi: int) -> int:
    sql = "SELECT count(*) " + RANGED.format(where=plan.where)
    return conn.execute(sql, (plan.match, lo, hi, session_id, *plan.params)).fetchone()[0]


# -- joined ----------------------------------------------------------------------------------------------------
def _joined(conn: sqlite3.Connection, plan: Plan, offset: int, limit: int) -> Page:
    where, params = _joined_where(plan)
    capped = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 {JOINED} WHERE {where} LIMIT ?)", (*params, plan.rank_limit + 1)
    ).fetchone()[0]
    if capped <= plan.rank_limit:
        sql = f"SELECT f.rowid, {SNIPPET} {JOINED} WHERE {where} ORDER BY {by_rank(plan, 'f.')} LIMIT ? OFFSET ?"
        rows = conn.execute(sql, (*params, limit, offset)).fetchall()
        return Page([r[0] for r in rows], capped, snippets=dict(rows))
    total = conn.execute(f"SELECT count(*) {JOINED} WHERE {where}", params).fetchone()[0]
    sessions = list(plan.allowed) if plan.allowed is not None else _global_sessions(conn, plan)
    return Page(_page_by_date(conn, plan, sessions, offset, limit), total, "date")


def _joined_where(plan: Plan) -> tuple[str, tuple]:
    where = ["segments_fts MATCH ?", plan.where]
    params: list = [plan.match, *plan.params]
    if plan.allowed is not None:
        where.append(f"se.id IN ({_marks(plan.allowed) or 'NULL'})")
        params += plan.allowed
    if plan.excluded:
        where.append(f"se.id NOT IN ({_marks(plan.excluded)})")
        params += plan.excluded
    return " AND ".join(where), tuple(params)


# -- newest first ----------------------------------------------------------------------------------------------
def _page_by_date(
    conn: sqlite3.Connection, plan: Plan, sessions: list[int], offset: int, limit: int
) -> list[int]:
    """Newest session first, then in spoken order, skipping ``offset`` matches session by session."""
    rowids: list[int] = []
    count_sql = "SELECT count(*) " + RANGED.format(where=plan.where)
    rows_sql = "SELECT f.rowid " + RANGED.format(where=plan.where) + " ORDER BY s.position LIMIT ? OFFSET ?"
    for sid, lo, hi in _chunked_ranges(conn, sessions):
        params = (plan.match, lo, hi, sid, *plan.params)
        if offset:
            here = conn.execute(count_sql, params).fetchone()[0]
            if here <= offset:
                offset -= here
                continue
        rowids += [r[0] for r in conn.execute(rows_sql, (*params, limit - len(rowids), offset))]
        offset = 0
        if len(rowids) >= limit:
            break
    return rowids


def _chunked_ranges(conn: sqlite3.Connection, sessions: list[int]) -> Iterator[tuple[int, int, int]]:
    for start in range(0, len(sessions), SCOPE_LIMIT):
        yield from ranges(conn, sessions[start : start + SCOPE_LIMIT])


def _marks(values) -> str:
    return ",".join("?" * len(values))
