"""Full-text search over transcript segments (see docs/schema.md for the rules).

1. ``query.parse`` turns any input into a safe FTS5 expression, or a message when there is nothing to find.
2. ``_plan`` turns the filters into a ``Plan``: every visible session (leaving out drafts and the like), a short
   list of sessions (each one a rowid range that FTS5 walks directly), or a join for anything else.
3. ``search_paths.run`` counts first and ranks by bm25 up to a limit; beyond it, newest sessions first.
4. ``_hits`` builds the page: rows read by the ranking statement itself where FTS5 ranks (``paths.HIT_ROW``), else
   in one statement; ``highlight()``/``snippet()`` from the ranking pass or one more FTS5 statement
   (control-character markers, escaped, then swapped for ``<mark>``), and each hit's ``start`` is the time of its
   first matched word, from the segment's marks.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

from catalog.errors import CatalogError, NotFound
from catalog.models import MATCH_CLOSE, MATCH_OPEN, Hit, SearchRequest, SearchResults
from catalog.search import facts, lists
from catalog.search.crosscut import with_crossings
from catalog.search.languages import everywhere, primary_in
from catalog.search.paths import (
    HIT_ROW,
    SCOPE_LIMIT,
    SNIPPET,
    SNIPPET_TOKENS,
    Page,
    Plan,
    hit_rows,
    run,
)
from catalog.search.pg_query import on_postgres
from catalog.search.proximity import near_first
from catalog.search.query import Query, literal_matcher, parse
from catalog.search.typos import corrected
from catalog.store.names import find_speaker_id, find_topic_id, speaker_ids_standing_for
from catalog.store.reads import event_names, visible
from catalog.store.values import check_date

MAX_LIMIT = 100
OPEN, CLOSE, ELLIPSIS = MATCH_OPEN, MATCH_CLOSE, "…"
NO_SPEAKER_MESSAGE = "No speaker is called {!r}."
NO_TOPIC_MESSAGE = "No topic is called {!r}."


def search(conn: sqlite3.Connection, request: SearchRequest) -> SearchResults:
    """Search as asked; a misspelt bare word is corrected first, and a phrase or an exact search that finds
    nothing is tried once more with its words corrected (``corrected_query`` says so). On PostgreSQL, the same
    search over its own index (``search/pg_search.py``)."""
    if on_postgres(conn):
        from catalog.search import pg_search

        return pg_search.search(conn, request)
    request = _normalized(request)
    query = parse(request.query)
    if query.fts is None:
        return _nothing(request, query.message)
    with facts.held(conn):  # what the archive's data version decides, read once for the whole search
        return _corrected_search(conn, request, query)


def _corrected_search(conn: sqlite3.Connection, request: SearchRequest, query: Query) -> SearchResults:
    if not request.correct:
        return _search(conn, request, query)
    fix = None if request.exact else corrected(conn, query, in_phrases=False)
    results = _search(conn, request, fix.query if fix else query)
    if results.total == 0:
        again = corrected(conn, query, in_phrases=True)
        if again and (fix is None or again.choices != fix.choices):
            fix, results = again, _search(conn, request, again.query)
    if fix is None or not results.hits:
        return results
    return replace(results, corrected_query=fix.text(request.query, results.hits[0].marked))


def _search(conn: sqlite3.Connection, request: SearchRequest, query: Query) -> SearchResults:
    """The primary tracks' hits, then the other languages' tracks' (``search/languages.py``)."""
    literal = literal_matcher(query) if request.exact else None
    if literal is not None:
        conn.create_function("uscm_literal_at", 1, lambda text: literal(text or ""), deterministic=True)
    if not facts.of(conn).other_tracks:  # an archive of one language per session: the primary search alone
        return _search_primary(conn, request, query)
    others, message = _other_sessions(conn, request)
    if message:
        return _nothing(request, message)

    def other_hit(row: tuple) -> Hit:
        return replace(_hit(row[:9], row[9] or "", literal, language=row[10]), primary=False)

    return everywhere(
        conn, request, query.fts, others, lambda wanted: _search_primary(conn, wanted, query), other_hit
    )


def _other_sessions(
    conn: sqlite3.Connection, request: SearchRequest
) -> tuple[tuple[int, ...] | None, str | None]:
    """The sessions whose other-language tracks the filters allow (the language itself is not one of them)."""
    speaker_ids = None
    if request.speaker:
        speaker_ids = _speaker_ids(conn, request.speaker)
        if speaker_ids is None:
            return None, NO_SPEAKER_MESSAGE.format(request.speaker)
    return _allowed_sessions(conn, replace(request, lang=None), speaker_ids)


def _search_primary(conn: sqlite3.Connection, request: SearchRequest, query: Query) -> SearchResults:
    plan, message = _plan(conn, request, query)
    if plan is None:
        return _nothing(request, message)
    literal = literal_matcher(query) if request.exact else None
    if literal is not None:
        conn.create_function("uscm_literal_at", 1, lambda text: literal(text or ""), deterministic=True)
    run_page = near_first(conn, plan, query, run)
    page = with_crossings(conn, plan, query, request.offset, request.limit, run_page, literal)
    hits = tuple(_hits(conn, plan, page, literal))
    return SearchResults(
        request.query, page.total, hits, request.limit, request.offset, None, page.ordered_by
    )


def _nothing(request: SearchRequest, message: str | None) -> SearchResults:
    return SearchResults(request.query, 0, (), request.limit, request.offset, message)


def _normalized(request: SearchRequest) -> SearchRequest:
    check_date(request.since, "since")
    check_date(request.until, "until")
    try:
        limit, offset = int(request.limit), int(request.offset)
    except (TypeError, ValueError) as exc:
        raise CatalogError(
            f"limit and offset must be whole numbers, got {request.limit!r}, {request.offset!r}"
        ) from exc
    query = request.query if isinstance(request.query, str) else ""
    limit, offset = min(max(limit, 1), MAX_LIMIT), max(offset, 0)
    if (query, limit, offset) == (request.query, request.limit, request.offset):
        return request
    return replace(request, query=query, limit=limit, offset=offset)


# -- planning ------------------------------------------------------------------------------------------------
def _plan(conn: sqlite3.Connection, request: SearchRequest, query: Query) -> tuple[Plan | None, str | None]:
    where, params = [], []
    speaker_ids = None
    if request.speaker:
        speaker_ids = _speaker_ids(conn, request.speaker)
        if speaker_ids is None:
            return None, NO_SPEAKER_MESSAGE.format(request.speaker)
        # Their own words, or (where a transcript does not say who speaks) words of sessions crediting them.
        marks = ",".join("?" * len(speaker_ids))
        where.append(f"(s.speaker_id IN ({marks}) OR s.speaker_id IS NULL)")
        params += speaker_ids
    if request.exact:
        where.append("uscm_literal_at(s.text) IS NOT NULL")
    allowed, message = _allowed_sessions(conn, request, speaker_ids)
    if message:
        return None, message
    terms = [t for group in query.groups for t in group] + list(query.excluded)
    plain = not query.excluded and all(not t.prefix and " " not in t.text for t in terms)
    lone = terms[0] if len(terms) == 1 else None
    prefix = lone.text if lone is not None and lone.prefix and " " not in lone.text else None
    phrase = (
        lone.text
        if lone is not None and not lone.prefix and " " in lone.text and not query.excluded
        else None
    )
    shape = {
        "match": query.fts,
        "words": tuple(tuple(t.text for t in group) for group in query.groups) if plain else None,
        "words_match": query.fts if plain or prefix or phrase else None,
        "prefix": prefix,
        "phrase": phrase,
        "one_group": len(query.groups) == 1 and all(" " not in t.text for t in terms),
        "has_prefix": any(t.prefix for t in terms),
        "where": " AND ".join(where) or "1",
        "params": tuple(params),
        "speakers": tuple(speaker_ids) if speaker_ids is not None and not request.exact else None,
    }
    if allowed == ():
        return None, None
    if allowed is None:
        return Plan(**shape, excluded=() if request.include_drafts else _hidden_sessions(conn)), None
    if len(allowed) <= SCOPE_LIMIT:
        return Plan(**shape, scope=allowed), None
    complement = _complement(conn, allowed)
    if len(complement) <= SCOPE_LIMIT:
        return Plan(**shape, excluded=complement), None
    return Plan(**shape, allowed=allowed), None


def _speaker_ids(conn: sqlite3.Connection, name: str) -> list[int] | None:
    """The speaker called ``name`` and every speaker merged into it; ``None`` when nobody is called that. Kept
    per data version (``facts.kept``): a rename or a merge shows in the next search."""

    def read() -> tuple[int, ...] | None:
        speaker_id = find_speaker_id(conn, name)
        return None if speaker_id is None else tuple(speaker_ids_standing_for(conn, speaker_id))

    found = facts.kept(conn, ("speaker", name), read)
    return None if found is None else list(found)


def _allowed_sessions(
    conn: sqlite3.Connection, request: SearchRequest, speaker_ids: list[int] | None
) -> tuple[tuple[int, ...] | None, str | None]:
    """The visible sessions the filters allow, newest first; ``None`` when no filter limits sessions. Kept per data
    version (``facts.kept``), keyed by every filter it reads."""
    key = (
        "allowed",
        request.include_drafts,
        request.session_id,
        None if speaker_ids is None else tuple(speaker_ids),
        request.topic,
        request.event,
        request.since,
        request.until,
        request.lang,
    )
    return facts.kept(conn, key, lambda: _read_allowed_sessions(conn, request, speaker_ids))


def _read_allowed_sessions(
    conn: sqlite3.Connection, request: SearchRequest, speaker_ids: list[int] | None
) -> tuple[tuple[int, ...] | None, str | None]:
    where, params = [visible(request.include_drafts, "se")], []
    if request.session_id is not None:
        exists = conn.execute(
            f"SELECT 1 FROM sessions se WHERE se.id = ? AND {where[0]}", (request.session_id,)
        ).fetchone()
        if not exists:
            raise NotFound(f"no session with id {request.session_id}")
        where.append("se.id = ?")
        params.append(request.session_id)
    if speaker_ids is not None:
        marks = ",".join("?" * len(speaker_ids))
        where.append(f"se.id IN (SELECT session_id FROM session_speakers WHERE speaker_id IN ({marks}))")
        params += speaker_ids
    if request.topic:
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
    if request.lang:
        test, more = primary_in(request.lang)
        where.append(test)
        params += more
    if len(where) == 1:
        return None, None
    rows = conn.execute(
        f"SELECT se.id FROM sessions se WHERE {' AND '.join(where)} AND se.segment_count > 0 "
        "ORDER BY se.date DESC NULLS LAST, se.id DESC",
        params,
    ).fetchall()
    return tuple(r[0] for r in rows), None


def _hidden_sessions(conn: sqlite3.Connection) -> tuple[int, ...]:
    return facts.of(conn).hidden


def _complement(conn: sqlite3.Connection, allowed: tuple[int, ...]) -> tuple[int, ...]:
    keep = set(allowed)
    rows = conn.execute("SELECT id FROM sessions WHERE segment_count > 0").fetchall()
    return tuple(sid for (sid,) in rows if sid not in keep)


# -- hits ----------------------------------------------------------------------------------------------------
def _hits(conn: sqlite3.Connection, plan: Plan, page: Page, literal) -> list[Hit]:
    """The page's hits in its order: rows the ranking pass read, the others in one statement; snippets from the
    page or one more FTS5 pass."""
    if not page.rowids:
        return []
    by_id = {rowid: page.rows[rowid] for rowid in page.rowids if rowid in page.rows}
    unread = [rowid for rowid in page.rowids if rowid not in by_id]
    if unread:  # (rows the ranking pass did not read: one statement for them all)
        marks = ",".join("?" * len(unread))
        rows = conn.execute(f"SELECT {HIT_ROW} FROM segments s WHERE s.id IN ({marks})", unread).fetchall()
        by_id.update((row[0], row) for row in hit_rows(conn, rows))
    snippets = page.snippets
    missing = [rowid for rowid in page.rowids if rowid not in snippets and rowid in by_id]
    lone = missing and plan.match == plan.words_match
    terms = lists.snippet_terms(conn, plan.words, plan.prefix, plan.phrase) if lone else None
    if terms is not None:  # plain words, a prefix or a phrase: short segments' snippets from their text
        texts = {rowid: by_id[rowid][7] for rowid in missing}
        highlight, prefix, phrase = terms
        snippets = {**snippets, **lists.snippets(conn, highlight, prefix, texts, SNIPPET_TOKENS, phrase)}
        missing = [rowid for rowid in missing if rowid not in snippets]
    if missing:
        snippets = {**snippets, **_snippets(conn, plan, missing)}
    return [
        _hit(by_id[r][:9], snippets.get(r, ""), literal, page.starts.get(r), by_id[r][9])
        for r in page.rowids
        if r in by_id
    ]


def _snippets(conn: sqlite3.Connection, plan: Plan, rowids: list[int]) -> dict[int, str]:
    """Snippets of these rows. FTS5 looks each id up on its own (cheap), except that a prefix query would
    expand its prefix again for every id: then the span of the ids is walked once instead."""
    marks = ",".join("?" * len(rowids))
    if plan.has_prefix:
        chosen, params = f"rowid BETWEEN ? AND ? AND +rowid IN ({marks})", (min(rowids), max(rowids), *rowids)
    else:
        chosen, params = f"rowid IN ({marks})", tuple(rowids)
    sql = f"SELECT rowid, {SNIPPET} FROM segments_fts WHERE segments_fts MATCH ? AND {chosen}"
    return dict(conn.execute(sql, (plan.match, *params)).fetchall())


def _hit(row: tuple, snippet: str, literal, offset: int | None = None, language: str | None = None) -> Hit:
    seg_id, session_id, title, date, start, end, speaker, text, marks = row
    if offset is None:
        offset = literal(text) if literal is not None else match_offset(text, snippet)
    at = time_at(start, _marks(marks), max(offset or 0, 0))
    return Hit(
        session_id,
        title,
        date,
        seg_id,
        at,
        end,
        speaker,
        text,
        snippet or text[:200],
        language,
    )


_SCAN = json.JSONDecoder().scan_once  # json.loads without its Python-level wrapper (half the time)


def _marks(marks: str) -> list:
    try:
        return _SCAN(marks, 0)[0]
    except (StopIteration, ValueError):  # (not a JSON document: let json.loads say so)
        return json.loads(marks)


def match_offset(text: str, snippet: str) -> int:
    """Where, in ``text``, the first match the snippet shows begins. A snippet is a run of ``text`` with markers
    around matches and ``…`` where it was cut; 0 when it cannot be placed."""
    first = snippet.find(OPEN)
    if first <= 0:
        return 0
    head = snippet[:first]  # no marker before the first match
    if not head.startswith(ELLIPSIS) and text.startswith(head):  # a snippet from the text's start (most)
        return first
    window = snippet.replace(OPEN, "").replace(CLOSE, "")
    cut = 1 if window.startswith(ELLIPSIS) and not text.startswith(window) else 0
    body = window[cut:].removesuffix(ELLIPSIS) if cut or not text.startswith(window) else window
    at = text.find(body)
    return at + first - cut if at >= 0 else 0


def time_at(start: float, marks: list, offset: int) -> float:
    """The time the character at ``offset`` is spoken: the last mark at or before it (``Segment.time_at``)."""
    best = start
    for mark_offset, seconds in marks:
        if mark_offset > offset:
            break
        best = seconds
    return best


def search_sessions(conn: sqlite3.Connection, text: str, *, limit: int, include_drafts: bool) -> list[int]:
    """Ids of sessions whose title, description or event match (same syntax), best first."""
    if on_postgres(conn):
        from catalog.search import pg_search

        return pg_search.search_sessions(conn, text, limit=limit, include_drafts=include_drafts)
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
