"""Full-text search over transcript segments: count first, rank by bm25, fall back to date order when huge.

How a search runs (see docs/schema.md):

1. ``query.parse`` turns the input into a safe FTS5 expression (or a message when there is nothing to find).
2. The filters become a *scope*: either every visible session, or the short list of sessions they allow.
   A session's segments are stored together, so each scoped session is a ``rowid BETWEEN lo AND hi`` range
   that FTS5 walks directly; the ``segments.session_id`` check keeps this correct if a range ever interleaves.
3. Count first, with a cap. Up to ``RANK_LIMIT`` matches are ranked by bm25; beyond that ranking would cost
   more than a searcher waits, so the page is taken newest session first (``ordered_by="date"``).
4. The page's rows come back in one statement with ``highlight()``/``snippet()`` (control-character markers,
   escaped, then swapped for ``<mark>``), and each hit's ``start`` is the time of its first matched word.
"""

from __future__ import annotations

import html
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace

from catalog.errors import CatalogError, NotFound
from catalog.models import Hit, SearchRequest, SearchResults
from catalog.names import find_speaker_id, speaker_ids_standing_for
from catalog.query import Query, literal_matcher, parse
from catalog.reads import event_names, visible
from catalog.sessions import check_date

RANK_LIMIT = 20_000  # beyond this many matches, newest-first instead of bm25 over everything
SCOPE_LIMIT = 64  # up to this many scoped (or hidden) sessions are walked as rowid ranges
MAX_LIMIT = 100
SNIPPET_TOKENS = 32
OPEN, CLOSE = "\x02", "\x03"
NO_SPEAKER_MESSAGE = "No speaker is called {!r}."
NO_TOPIC_MESSAGE = "No topic is called {!r}."


@dataclass(frozen=True)
class Plan:
    """What to search: the MATCH expression, the scoped sessions (``None`` = all visible) and segment terms."""

    match: str
    scope: tuple[int, ...] | None
    where: str  # extra SQL over ``s`` (segments) and ``se`` (sessions)
    params: tuple
    hidden: tuple[int, ...]  # sessions not visible (only relevant when scope is None)
    literal: object | None  # exact mode: text -> offset of the literal match, or None


def search(conn: sqlite3.Connection, request: SearchRequest) -> SearchResults:
    request = _normalized(request)
    query = parse(request.query)
    empty = SearchResults(query=request.query, total=0, hits=(), limit=request.limit, offset=request.offset)
    if query.fts is None:
        return replace(empty, message=query.message)
    plan, message = _plan(conn, request, query)
    if plan is None:
        return replace(empty, message=message)
    _install_literal(conn, plan)
    total, large = _count(conn, plan)
    if large:
        rowids = _page_by_date(conn, plan, request.offset, request.limit)
    else:
        rowids = _page_by_rank(conn, plan, request.offset, request.limit)
    hits = _fetch_hits(conn, plan, rowids)
    return replace(empty, total=total, hits=tuple(hits), ordered_by="date" if large else "relevance")


def _normalized(request: SearchRequest) -> SearchRequest:
    check_date(request.since, "since")
    check_date(request.until, "until")
    limit = min(max(int(request.limit), 1), MAX_LIMIT)
    return replace(request, query=request.query or "", limit=limit, offset=max(int(request.offset), 0))


# -- planning ------------------------------------------------------------------------------------------------
def _plan(conn: sqlite3.Connection, request: SearchRequest, query: Query) -> tuple[Plan | None, str | None]:
    where, params = [], []
    if request.speaker:
        speaker_id = find_speaker_id(conn, request.speaker)
        if speaker_id is None:
            return None, NO_SPEAKER_MESSAGE.format(request.speaker)
        ids = speaker_ids_standing_for(conn, speaker_id)
        marks = ",".join("?" * len(ids))
        # Their own words, or (where a transcript does not say who speaks) words from sessions crediting them.
        where.append(
            f"(s.speaker_id IN ({marks}) OR (s.speaker_id IS NULL AND s.session_id IN "
            f"(SELECT session_id FROM session_speakers WHERE speaker_id IN ({marks}))))"
        )
        params += ids + ids
    scope, message = _scope(conn, request)
    if message:
        return None, message
    hidden = () if request.include_drafts else _hidden_sessions(conn)
    literal = literal_matcher(query) if request.exact else None
    if literal is not None:
        where.append("uscm_literal_at(s.text) IS NOT NULL")
    plan = Plan(query.fts, scope, " AND ".join(where) or "1", tuple(params), hidden, literal)
    return plan, None


def _scope(conn: sqlite3.Connection, request: SearchRequest) -> tuple[tuple[int, ...] | None, str | None]:
    """The sessions the filters allow, newest first; ``None`` when no session filter is given."""
    where, params = [visible(request.include_drafts, "se")], []
    if request.session_id is not None:
        exists = conn.execute(
            f"SELECT 1 FROM sessions se WHERE se.id = ? AND {where[0]}", (request.session_id,)
        ).fetchone()
        if not exists:
            raise NotFound(f"no session with id {request.session_id}")
        where.append("se.id = ?")
        params.append(request.session_id)
    if request.topic:
        from catalog.names import find_topic_id

        topic_id = find_topic_id(conn, request.topic)
        if topic_id is None:
            return None, NO_TOPIC_MESSAGE.format(request.topic)
        where.append("se.id IN (SELECT session_id FROM session_topics WHERE topic_id = ?)")
        params.append(topic_id)
    if request.event:
        names = event_names(conn, request.event)
        where.append(f"se.event IN ({','.join('?' * len(names))})" if names else "0")
        params += names
    if request.since:
        where.append("se.date >= ?")
        params.append(request.since)
    if request.until:
        where.append("se.date <= ?")
        params.append(request.until)
    if len(where) == 1:
        return None, None
    rows = conn.execute(
        f"SELECT se.id FROM sessions se WHERE {' AND '.join(where)} ORDER BY se.date DESC NULLS LAST, se.id DESC",
        params,
    ).fetchall()
    return tuple(r[0] for r in rows), None


def _hidden_sessions(conn: sqlite3.Connection) -> tuple[int, ...]:
    rows = conn.execute("SELECT id FROM sessions WHERE status != 'published'").fetchall()
    return tuple(r[0] for r in rows)


def _install_literal(conn: sqlite3.Connection, plan: Plan) -> None:
    if plan.literal is not None:
        literal = plan.literal
        conn.create_function("uscm_literal_at", 1, lambda text: literal(text or ""), deterministic=True)


# -- counting ------------------------------------------------------------------------------------------------
JOINED = "FROM segments_fts f JOIN segments s ON s.id = f.rowid JOIN sessions se ON se.id = s.session_id"


def _count(conn: sqlite3.Connection, plan: Plan) -> tuple[int, bool]:
    """(total, large): ``large`` when more than ``RANK_LIMIT`` segments match (then ranking is skipped)."""
    if plan.scope is not None and len(plan.scope) <= SCOPE_LIMIT:
        total = sum(_range_count(conn, plan, sid, lo, hi) for sid, lo, hi in _ranges(conn, plan.scope))
        return total, total > RANK_LIMIT
    if plan.scope is None and plan.where == "1" and len(plan.hidden) <= SCOPE_LIMIT:
        capped = _fts_count(conn, plan.match, RANK_LIMIT + 1)
        if capped <= RANK_LIMIT:
            return max(capped - _hidden_count(conn, plan), 0), False
        total = _fts_count(conn, plan.match, None) - _hidden_count(conn, plan)
        return total, total > RANK_LIMIT
    capped = _joined_count(conn, plan, RANK_LIMIT + 1)
    if capped <= RANK_LIMIT:
        return capped, False
    return _joined_count(conn, plan, None), True


def _fts_count(conn: sqlite3.Connection, match: str, cap: int | None) -> int:
    sql = "SELECT count(*) FROM (SELECT rowid FROM segments_fts WHERE segments_fts MATCH ?"
    sql += " LIMIT ?)" if cap else ")"
    return conn.execute(sql, (match, cap) if cap else (match,)).fetchone()[0]


def _hidden_count(conn: sqlite3.Connection, plan: Plan) -> int:
    return sum(_range_count(conn, plan, sid, lo, hi) for sid, lo, hi in _ranges(conn, plan.hidden))


def _joined_count(conn: sqlite3.Connection, plan: Plan, cap: int | None) -> int:
    where, params = _joined_where(plan)
    sql = f"SELECT count(*) FROM (SELECT 1 {JOINED} WHERE {where}" + (" LIMIT ?)" if cap else ")")
    return conn.execute(sql, (*params, cap) if cap else params).fetchone()[0]


def _joined_where(plan: Plan) -> tuple[str, tuple]:
    where = ["segments_fts MATCH ?", plan.where]
    params: list = [plan.match, *plan.params]
    if plan.scope is not None:
        where.append(f"se.id IN ({','.join('?' * len(plan.scope))})")
        params += plan.scope
    elif plan.hidden:
        where.append("se.status = 'published'")
    return " AND ".join(where), tuple(params)


def _ranges(conn: sqlite3.Connection, session_ids: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """(session id, lowest segment id, highest segment id) for each session holding segments, in given order."""
    if not session_ids:
        return []
    found = {
        sid: (lo, hi)
        for sid, lo, hi in conn.execute(
            f"SELECT session_id, min(id), max(id) FROM segments WHERE session_id IN "
            f"({','.join('?' * len(session_ids))}) GROUP BY session_id",
            session_ids,
        )
    }
    return [(sid, *found[sid]) for sid in session_ids if sid in found]


RANGED = (
    "FROM segments_fts f JOIN segments s ON s.id = f.rowid "
    "WHERE segments_fts MATCH ? AND f.rowid BETWEEN ? AND ? AND s.session_id = ? AND {where}"
)


def _range_count(conn: sqlite3.Connection, plan: Plan, session_id: int, lo: int, hi: int) -> int:
    sql = "SELECT count(*) " + RANGED.format(where=plan.where)
    return conn.execute(sql, (plan.match, lo, hi, session_id, *plan.params)).fetchone()[0]


# -- one page of row ids -------------------------------------------------------------------------------------
def _page_by_rank(conn: sqlite3.Connection, plan: Plan, offset: int, limit: int) -> list[int]:
    if plan.scope is not None and len(plan.scope) <= SCOPE_LIMIT:
        scored: list[tuple[float, int]] = []
        sql = "SELECT bm25(segments_fts), f.rowid " + RANGED.format(where=plan.where) + " ORDER BY 1 LIMIT ?"
        for sid, lo, hi in _ranges(conn, plan.scope):
            scored += conn.execute(sql, (plan.match, lo, hi, sid, *plan.params, offset + limit)).fetchall()
        scored.sort()
        return [rowid for _, rowid in scored[offset : offset + limit]]
    where, params = _joined_where(plan)
    sql = f"SELECT f.rowid {JOINED} WHERE {where} ORDER BY f.rank LIMIT ? OFFSET ?"
    return [r[0] for r in conn.execute(sql, (*params, limit, offset))]


def _page_by_date(conn: sqlite3.Connection, plan: Plan, offset: int, limit: int) -> list[int]:
    """Newest session first, then in spoken order, skipping ``offset`` matches session by session."""
    rowids: list[int] = []
    count_sql = "SELECT count(*) " + RANGED.format(where=plan.where)
    rows_sql = "SELECT f.rowid " + RANGED.format(where=plan.where) + " ORDER BY s.position LIMIT ? OFFSET ?"
    for sid, lo, hi in _newest_sessions(conn, plan):
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


def _newest_sessions(conn: sqlite3.Connection, plan: Plan) -> Iterator[tuple[int, int, int]]:
    if plan.scope is not None:
        ids: tuple[int, ...] | list[int] = plan.scope
    else:
        vis = "1" if not plan.hidden else "status = 'published'"
        ids = [
            r[0]
            for r in conn.execute(
                f"SELECT id FROM sessions WHERE {vis} AND segment_count > 0 ORDER BY date DESC NULLS LAST, id DESC"
            )
        ]
    for start in range(0, len(ids), SCOPE_LIMIT):
        yield from _ranges(conn, tuple(ids[start : start + SCOPE_LIMIT]))


# -- hits ----------------------------------------------------------------------------------------------------
def _fetch_hits(conn: sqlite3.Connection, plan: Plan, rowids: list[int]) -> list[Hit]:
    if not rowids:
        return []
    literal = "uscm_literal_at(s.text)" if plan.literal is not None else "NULL"
    sql = (
        f"SELECT s.id, s.session_id, se.title, se.date, s.start, s.end, sp.name, s.text, s.marks, {literal}, "
        f"highlight(segments_fts, 0, char(2), char(3)), "
        f"snippet(segments_fts, 0, char(2), char(3), '…', {SNIPPET_TOKENS}) "
        f"{JOINED} LEFT JOIN speakers sp0 ON sp0.id = s.speaker_id "
        "LEFT JOIN speakers sp ON sp.id = coalesce(sp0.merged_into, sp0.id) "
        f"WHERE segments_fts MATCH ? AND f.rowid IN ({','.join('?' * len(rowids))})"
    )
    rows = {row[0]: row for row in conn.execute(sql, (plan.match, *rowids))}
    return [_hit(rows[r]) for r in rowids if r in rows]


def _hit(row: tuple) -> Hit:
    seg_id, session_id, title, date, start, end, speaker, text, marks, literal_at, highlighted, snippet = row
    offset = literal_at if literal_at is not None else highlighted.find(OPEN)
    at = time_at(start, json.loads(marks), max(offset, 0))
    return Hit(
        session_id=session_id,
        session_title=title,
        session_date=date,
        segment_id=seg_id,
        start=at,
        end=end,
        speaker=speaker,
        text=text,
        snippet=marked_html(snippet),
        url=f"/sessions/{session_id}?t={int(at)}",
    )


def time_at(start: float, marks: list, offset: int) -> float:
    """The time the character at ``offset`` is spoken: the last mark at or before it (``Segment.time_at``)."""
    best = start
    for mark_offset, seconds in marks:
        if mark_offset > offset:
            break
        best = seconds
    return best


def marked_html(text: str) -> str:
    """Escape everything, then turn the control-character markers into ``<mark>`` tags (balanced)."""
    escaped = html.escape(text.replace(OPEN + CLOSE, ""), quote=True)
    out, depth = [], 0
    for char in escaped:
        if char == OPEN:
            out.append("<mark>" if depth == 0 else "")
            depth += 1
        elif char == CLOSE:
            depth = max(depth - 1, 0)
            out.append("</mark>" if depth == 0 else "")
        else:
            out.append(char)
    return "".join(out) + ("</mark>" if depth else "")


def search_sessions(conn: sqlite3.Connection, text: str, *, limit: int, include_drafts: bool) -> list[int]:
    """Ids of sessions whose title, description or event match (same syntax), best first."""
    query = parse(text)
    if query.fts is None:
        return []
    limit = min(max(int(limit), 1), MAX_LIMIT)
    rows = conn.execute(
        "SELECT se.id FROM sessions_fts JOIN sessions se ON se.id = sessions_fts.rowid "
        f"WHERE sessions_fts MATCH ? AND {visible(include_drafts, 'se')} ORDER BY sessions_fts.rank LIMIT ?",
        (query.fts, limit),
    )
    return [r[0] for r in rows]


def check_request(request: SearchRequest) -> None:
    """Raise ``CatalogError`` for a request no search could answer (bad dates); used by the edges up front."""
    try:
        _normalized(request)
    except (TypeError, ValueError) as exc:
        raise CatalogError(f"bad search request: {exc}") from exc
