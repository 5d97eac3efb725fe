"""Full-text search on PostgreSQL: the same behaviour as the SQLite engine (``engine.py``), over ``tsvector``
columns with GIN indexes (``pg_schema.py``).

1. ``query.parse`` reads the input as on SQLite (never an error); ``pg_query.compile_query`` turns it into a
   ``tsquery`` of the index's own lexemes (PostgreSQL normalises each word once: ``lexemes``).
2. The filters are planned by the SQLite engine's own functions (sessions allowed, speakers), through the
   connection's dialect translation; the match is one statement over ``segment_rows`` joined with ``sessions``.
3. Ranking is FTS5's bm25 spelt out in SQL (``pg_query.bm25_sql``), ties by segment id, over every match up to
   ``paths.RANK_LIMIT``; beyond it the newest sessions come first, in spoken order, as on SQLite. The two keys
   before it are the SQLite engine's: words said together first (an unquoted query of three or more words), and
   unreviewed automatic transcripts last.
4. Hits across segment cuts come from ``segment_windows`` (each segment's text and the head of the next ones),
   decided by ``crosscut.py``'s own rules; other-language tracks follow the primary hits (``languages.py``'s rule).
5. Matches are marked here (``mark``), phrase by phrase over the text's words and their lexemes, as FTS5's
   ``highlight()`` marks them; the snippet is the 32 words around the best run of matches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from catalog.models import MATCH_CLOSE, MATCH_OPEN, Hit, SearchRequest, SearchResults
from catalog.search import crosscut, proximity
from catalog.search.paths import PREFIX_RANK_LIMIT, RANK_LIMIT, merge_ranked
from catalog.search.pg_query import Compiled, Phrase, Stats, bm25_sql, compile_query
from catalog.search.query import Query, literal_matcher, parse, words_of

OPEN, CLOSE, ELLIPSIS = MATCH_OPEN, MATCH_CLOSE, "…"
STEMMED, UNSTEMMED = "uscm_en", "uscm_simple"
SNIPPET_WORDS = 32  # as the SQLite engine's snippet()
EXACT_LIMIT = 50_000  # matches an exact search checks literally (beyond them: the first ones, by id)
OTHER_COUNT_LIMIT = 20_000
SEGMENTS = "segment_rows s JOIN sessions se ON se.id = s.session_id"


# -- lexemes ------------------------------------------------------------------------------------------------------
_lexeme_cache: dict[tuple[str, str], tuple[str, ...]] = {}
_CACHE_LIMIT = 200_000


def lexemes(conn, config: str, words: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Each word's lexemes under ``config`` (``uscm_en``: stemmed; ``uscm_simple``: folded), in order: one query for
    the words not seen before in this process (normalising a word never changes)."""
    wanted = [w for w in dict.fromkeys(words) if (config, w) not in _lexeme_cache]
    if wanted:
        rows = conn.execute(
            "SELECT w, array(SELECT u.lexeme FROM unnest(to_tsvector(?::regconfig, uscm_words(w))) u "
            "ORDER BY u.positions[1]) FROM unnest(?::text[]) AS w",
            (config, wanted),
        ).fetchall()
        if len(_lexeme_cache) > _CACHE_LIMIT:
            _lexeme_cache.clear()
        for word, found in rows:
            _lexeme_cache[(config, word)] = tuple(found or ())
    return {w: _lexeme_cache.get((config, w), ()) for w in words}


def _learn(conn, texts: Sequence[str], config: str) -> None:
    """Normalise the words of these texts in one statement (``spans`` then finds them all cached)."""
    lexemes(conn, config, [t[2] for text in texts for t in _tokens(text)])


def compiled(conn, query: Query, config: str) -> Compiled:
    words = [w for group in (*query.groups, query.excluded) for term in group for w in term.words()]
    known = lexemes(conn, config, words)
    return compile_query(query, lambda word: known.get(word, ()))


# -- marking --------------------------------------------------------------------------------------------------------
def _tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of each run of token characters (``query.words_of``'s runs, with their offsets)."""
    out, start = [], None
    for index, char in enumerate(text):
        if char.isalnum() or _is_token(char):
            if start is None:
                start = index
        elif start is not None:
            out.append((start, index, text[start:index]))
            start = None
    if start is not None:
        out.append((start, len(text), text[start:]))
    return out


def _is_token(char: str) -> bool:
    return bool(words_of(char))


def spans(conn, text: str, phrases: Sequence[Phrase], config: str) -> list[tuple[int, int]]:
    """Where each occurrence of each phrase lies in ``text`` (character spans, merged where they overlap), the
    words compared by their lexemes under ``config``: what FTS5's ``highlight()`` marks."""
    tokens = _tokens(text)
    known = lexemes(conn, config, [t[2] for t in tokens])
    stream: list[tuple[str, int]] = [(lex, i) for i, t in enumerate(tokens) for lex in known.get(t[2], ())]
    found: list[tuple[int, int]] = []
    for phrase in phrases:
        n = len(phrase.lexemes)
        for at in range(len(stream) - n + 1):
            if all(
                stream[at + k][0] == phrase.lexemes[k]
                or (phrase.prefix and k == n - 1 and stream[at + k][0].startswith(phrase.lexemes[k]))
                for k in range(n)
            ):
                found.append((tokens[stream[at][1]][0], tokens[stream[at + n - 1][1]][1]))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def marked(text: str, found: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in found:
        out += [text[last:start], OPEN, text[start:end], CLOSE]
        last = end
    return "".join([*out, text[last:]])


def snippet(text: str, found: list[tuple[int, int]], words: int = SNIPPET_WORDS) -> str:
    """The ``words`` words around the best run of matches (most matches, the earliest of equals), marked, with
    ``…`` where the text was cut; the whole text when it is that short."""
    tokens = _tokens(text)
    if len(tokens) <= words:
        return marked(text, found)
    starts = [t[0] for t in tokens]
    matched = sorted({i for i, t in enumerate(tokens) for a, b in found if a < t[1] and t[0] < b})
    best, best_count = 0, -1
    for first in matched or [0]:
        begin = max(0, min(first - 2, len(tokens) - words))
        count = sum(1 for i in matched if begin <= i < begin + words)
        if count > best_count:
            best, best_count = begin, count
    lo, hi = starts[best], tokens[min(best + words, len(tokens)) - 1][1]
    inside = [(max(a, lo) - lo, min(b, hi) - lo) for a, b in found if a < hi and b > lo]
    head = ELLIPSIS if best > 0 else ""
    tail = ELLIPSIS if best + words < len(tokens) else ""
    return head + marked(text[lo:hi], inside) + tail


# -- statistics -----------------------------------------------------------------------------------------------------
def _frequencies(conn, phrases: Sequence[Phrase], table: str, words_table: str | None, vector: str):
    """How many documents hold each phrase: a single word from the kept counts, a prefix as the sum of its
    words' (an upper bound), a phrase by counting (up to ``RANK_LIMIT``; beyond, the IDF is near its floor)."""
    out: dict[Phrase, int] = {}
    words = [p.lexemes[0] for p in phrases if len(p.lexemes) == 1 and not p.prefix] if words_table else []
    if words:  # every single word's count in one statement
        counts = dict(conn.execute(f"SELECT term, docs FROM {words_table} WHERE term = ANY(?)", (words,)))
    for phrase in phrases:
        single = len(phrase.lexemes) == 1
        if single and words_table and not phrase.prefix:
            out[phrase] = counts.get(phrase.lexemes[0], 0)
        elif single and words_table:
            row = conn.execute(
                f"SELECT coalesce(sum(docs), 0) FROM {words_table} WHERE term >= ? AND term < ? AND docs > 0",
                (phrase.lexemes[0], phrase.lexemes[0] + "\U0010ffff"),
            ).fetchone()
            out[phrase] = int(row[0])
        else:
            row = conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {vector} @@ ?::tsquery LIMIT ?) m",
                (phrase.tsquery(), RANK_LIMIT),
            ).fetchone()
            out[phrase] = row[0]
    return out


@dataclass(frozen=True)
class Probe:
    """What a search needs to know of the archive before it runs, asked in one statement."""

    other_tracks: bool  # any track besides the primary ones holds segments
    unreviewed_asr: bool  # the ASR tier applies
    segments: Stats  # BM25's N and mean length over the segments
    windows: Stats  # ... and over the cross-cut windows


def probe(conn) -> Probe:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM track_segments), "
        "EXISTS (SELECT 1 FROM tracks WHERE source = 'asr' AND reviewed = 0), "
        "coalesce(sum(segments), 0), coalesce(sum(words), 0), coalesce(sum(windows), 0), "
        "coalesce(sum(window_words), 0) FROM search_session_stats"
    ).fetchone()
    segments, words, windows, window_words = (int(v) for v in row[2:])
    return Probe(
        bool(row[0]),
        bool(row[1]),
        Stats(segments, words / segments if segments else 1.0),
        Stats(windows, window_words / windows if windows else 1.0),
    )


def _segment_stats(conn, windows: bool = False) -> Stats:
    found = probe(conn)
    return found.windows if windows else found.segments


# -- planning -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PgPlan:
    tsquery: str
    phrases: tuple[Phrase, ...]
    where: str  # over s (segment_rows) and se (sessions), with the match
    params: tuple
    filters: str  # the same without the match (for the cross-cut windows)
    filter_params: tuple
    has_prefix: bool

    @property
    def rank_limit(self) -> int:
        return PREFIX_RANK_LIMIT if self.has_prefix else RANK_LIMIT


def visible(include_drafts: bool, alias: str = "se") -> str:
    return "TRUE" if include_drafts else f"{alias}.status = 'published'"


def _plan(conn, request: SearchRequest, query: Query, code: Compiled) -> tuple[PgPlan | None, str | None]:
    from catalog.search import engine
    from catalog.store.names import find_speaker_id, speaker_ids_standing_for

    where, params = [visible(request.include_drafts)], []
    speaker_ids = None
    if request.speaker:
        speaker_id = find_speaker_id(conn, request.speaker)
        if speaker_id is None:
            return None, engine.NO_SPEAKER_MESSAGE.format(request.speaker)
        speaker_ids = speaker_ids_standing_for(conn, speaker_id)
        where.append("(s.speaker_id = ANY(?) OR s.speaker_id IS NULL)")
        params.append(list(speaker_ids))
    allowed, message = engine._allowed_sessions(conn, request, speaker_ids)
    if message:
        return None, message
    if allowed == () or code.tsquery is None:
        return None, None
    if allowed is not None:
        where.append("s.session_id IN (SELECT unnest(?::bigint[]))")  # a hashed semi-join, not a list scan
        params.append(list(allowed))
    filters = " AND ".join(where)
    terms = [t for group in query.groups for t in group] + list(query.excluded)
    return (
        PgPlan(
            code.tsquery,
            code.phrases,
            f"s.search_tsv @@ ?::tsquery AND {filters}",
            (code.tsquery, *params),
            filters,
            tuple(params),
            any(t.prefix for t in terms),
        ),
        None,
    )


# -- the search -----------------------------------------------------------------------------------------------------
def search(conn, request: SearchRequest) -> SearchResults:
    """As ``engine.search``: a misspelt bare word is corrected first, and a phrase or an exact search that finds
    nothing is tried once more with its words corrected."""
    from catalog.search import engine
    from catalog.search.typos import corrected

    request = engine._normalized(request)
    query = parse(request.query)
    if query.fts is None:
        return engine._nothing(request, query.message)
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


def _search(conn, request: SearchRequest, query: Query) -> SearchResults:
    from catalog.search import engine

    known = probe(conn)
    if not known.other_tracks:
        return _primary(conn, request, query, known)
    others, message = engine._other_sessions(conn, request)
    if message:
        return engine._nothing(request, message)
    results = _primary(conn, request, query, known)
    skip = max(request.offset - results.total, 0)
    room = request.limit - len(results.hits)
    total, hits = _other_tracks(conn, request, query, others, skip, room)
    if total == 0:
        return results
    return replace(results, total=results.total + total, hits=results.hits + tuple(hits))


@dataclass
class _Page:
    rowids: list[int]
    total: int
    ordered_by: str = "relevance"
    starts: dict | None = None  # where a cross-cut hit's match begins in its text
    snippets: dict | None = None


def _primary(conn, request: SearchRequest, query: Query, known: Probe) -> SearchResults:
    from catalog.search import engine

    code = compiled(conn, query, STEMMED)
    plan, message = _plan(conn, request, query, code)
    if plan is None:
        return engine._nothing(request, message)
    literal = literal_matcher(query) if request.exact else None
    page = _ranked(conn, plan, query, request.offset, request.limit, literal, known)
    hits = _hits(conn, page, plan, literal)
    return SearchResults(
        request.query, page.total, tuple(hits), request.limit, request.offset, None, page.ordered_by
    )


ASR_LINE = (
    "(s.confidence IS NOT NULL AND EXISTS (SELECT 1 FROM tracks t WHERE t.id = s.track_id "
    "AND t.source = 'asr' AND t.reviewed = 0))"
)


def _ranked(conn, plan: PgPlan, query: Query, offset: int, limit: int, literal, known: Probe) -> _Page:
    """The page: every match scored by bm25 (up to the rank limit) and put in the one order; cross-cut hits merged
    into the first tier by the same score."""
    where, params = plan.where, plan.params
    if literal is not None:
        rows = conn.execute(
            f"SELECT s.id, s.text FROM {SEGMENTS} WHERE {where} ORDER BY s.id LIMIT ?", (*params, EXACT_LIMIT)
        ).fetchall()
        kept = [rowid for rowid, text in rows if literal(text) is not None]
        where, params = (
            f"s.id IN (SELECT unnest(?::bigint[])) AND {plan.filters}",
            (kept, *plan.filter_params),
        )
    (total,) = conn.execute(f"SELECT count(*) FROM {SEGMENTS} WHERE {where}", params).fetchone()
    if total > plan.rank_limit:
        return _Page(_by_date(conn, where, params, offset, limit), total, "date")
    if total == 0:
        return _with_crossings(conn, plan, query, [], [], 0, offset, limit, literal, known)
    stats = known.segments
    frequencies = _frequencies(conn, plan.phrases, "segment_rows", "search_lexemes", "search_tsv")
    columns, score, more = bm25_sql(plan.phrases, frequencies, stats)
    near = _near_test(query)
    if near is not None:
        near.bind(plan.phrases)
    asr = ASR_LINE if known.unreviewed_asr else "FALSE"
    rows = conn.execute(
        f"SELECT id, {score} AS score, asr, tsv FROM (SELECT s.id, {columns}, {asr} AS asr, "
        f"{'s.search_tsv::text' if near else 'NULL'} AS tsv FROM {SEGMENTS} WHERE {where}) m "
        "ORDER BY asr, score, id",
        (*more, *params),
    ).fetchall()
    tiers = _tiers(rows, near)
    return _with_crossings(conn, plan, query, tiers[0], tiers[1], total, offset, limit, literal, known)


DATE_CHUNK = 32  # sessions whose matches one statement of the date order fetches


def _by_date(conn, where: str, params: tuple, offset: int, limit: int) -> list[int]:
    """A page of matches newest session first, in spoken order, walking the sessions a few at a time (as the
    SQLite engine's ``_page_by_date``): one ``ORDER BY`` over every match would sort them all (~1 s for ``the`` at
    1M segments), while the newest sessions alone usually fill a page."""
    sessions = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM sessions WHERE segment_count > 0 ORDER BY date DESC NULLS LAST, id DESC"
        )
    ]
    page: list[int] = []
    for start in range(0, len(sessions), DATE_CHUNK):
        chunk = sessions[start : start + DATE_CHUNK]
        found: dict[int, list[int]] = {}
        for session_id, rowid in conn.execute(
            f"SELECT s.session_id, s.id FROM {SEGMENTS} WHERE s.session_id = ANY(?) AND {where} "
            "ORDER BY s.session_id, s.position",
            (chunk, *params),
        ):
            found.setdefault(session_id, []).append(rowid)
        for session_id in chunk:
            here = found.get(session_id, [])
            page += here[offset : offset + limit - len(page)]
            offset = max(offset - len(here), 0)
            if len(page) >= limit:
                return page
    return page


def _tiers(rows: list[tuple], near: Callable[[str], bool] | None) -> tuple[list, list]:
    """(first tier, rest) of ``(score, id)`` pairs, each in the SQL's order (a partition, not a sort): the words
    said together first when the query asks for it; caption lines before unreviewed ASR lines within each."""
    if near is None:
        return [(score, rowid) for rowid, score, _asr, _tsv in rows], []
    first = [(score, rowid) for rowid, score, _asr, tsv in rows if near(tsv)]
    rest = [(score, rowid) for rowid, score, _asr, tsv in rows if not near(tsv)]
    return first, rest


# -- words said together (proximity.py's rule) ------------------------------------------------------------------------
def _near_test(query: Query) -> Callable[[str], bool] | None:
    """For an unquoted query of three or more words (no OR): a test on a row's ``tsvector`` text — are its terms
    said within the query's length plus ``crosscut.LOOSE_SLACK`` words of each other (FTS5's ``NEAR``)."""
    if proximity.near_expression(query) is None:
        return None
    return _NearTest(query)


class _NearTest:
    def __init__(self, query: Query):
        self.terms = [group[0] for group in query.groups]
        self.slack = (
            sum(len(t.words()) for t in self.terms) + crosscut.LOOSE_SLACK
        )  # proximity.near_expression's
        self.phrases: list[Phrase] | None = None

    def bind(self, phrases: Sequence[Phrase]) -> None:
        self.phrases = list(phrases)

    def __call__(self, tsv: str) -> bool:
        positions = _positions(tsv)
        occurrences = []
        for phrase in self.phrases or ():
            starts = _phrase_starts(positions, phrase)
            if not starts:
                return False
            occurrences.append([(p, p + len(phrase.lexemes) - 1) for p in starts])
        return _within(occurrences, self.slack)


def _positions(tsv: str) -> dict[str, set[int]]:
    """``'lexeme':1,5 'other':3`` → {lexeme: {1, 5}, ...} (a tsvector's text form)."""
    out: dict[str, set[int]] = {}
    i, n = 0, len(tsv)
    while i < n:
        if tsv[i] != "'":
            i += 1
            continue
        j, lexeme = i + 1, []
        while j < n:
            if tsv[j] == "'" and j + 1 < n and tsv[j + 1] == "'":
                lexeme.append("'")
                j += 2
            elif tsv[j] == "\\" and j + 1 < n:
                lexeme.append(tsv[j + 1])
                j += 2
            elif tsv[j] == "'":
                break
            else:
                lexeme.append(tsv[j])
                j += 1
        i = j + 1
        found: set[int] = set()
        if i < n and tsv[i] == ":":
            k = i + 1
            while k < n and tsv[k] != " ":
                k += 1
            for part in tsv[i + 1 : k].split(","):
                digits = "".join(c for c in part if c.isdigit())
                if digits:
                    found.add(int(digits))
            i = k
        out["".join(lexeme)] = found
    return out


def _phrase_starts(positions: dict[str, set[int]], phrase: Phrase) -> list[int]:
    def at(k: int) -> set[int]:
        lexeme = phrase.lexemes[k]
        if phrase.prefix and k == len(phrase.lexemes) - 1:
            return {p for lex, ps in positions.items() if lex.startswith(lexeme) for p in ps}
        return positions.get(lexeme, set())

    starts = at(0)
    for k in range(1, len(phrase.lexemes)):
        starts = {p for p in starts if p + k in at(k)}
    return sorted(starts)


def _within(occurrences: list[list[tuple[int, int]]], slack: int) -> bool:
    """Is there one occurrence of each term (``(first, last)`` positions) such that at most ``slack`` words lie
    between the end of the leftmost and the start of the rightmost (FTS5's ``NEAR``)? Each occurrence is tried as
    the leftmost, with every other term's earliest occurrence after it."""
    for index, own in enumerate(occurrences):
        for start, end in own:
            last = start
            for other, occ in enumerate(occurrences):
                if other == index:
                    continue
                after = [s for s, _e in occ if s > start or (s == start and other > index)]
                if not after:
                    break
                last = max(last, min(after))
            else:
                if last - end - 1 <= slack:
                    return True
    return False


# -- across segment cuts (crosscut.py's rules, over segment_windows) ---------------------------------------------------
def _with_crossings(
    conn,
    plan: PgPlan,
    query: Query,
    first: list,
    rest: list,
    total: int,
    offset: int,
    limit: int,
    literal,
    known: Probe,
) -> _Page:
    ordered = [r for _s, r in first] + [r for _s, r in rest]
    if not crosscut.applies(query) or total > crosscut.TOTAL_LIMIT or _only_common_words(conn, query):
        return _Page(ordered[offset : offset + limit], total)
    crossings = _crossings(conn, plan, query, set(ordered), literal, known.windows)
    if not crossings:
        return _Page(ordered[offset : offset + limit], total)
    order = merge_ranked(first, [(score, rowid) for rowid, _at, score, _snip in crossings])
    order += [r for _s, r in rest]
    starts = {rowid: at for rowid, at, _score, _snip in crossings}
    snippets = {rowid: snip for rowid, _at, _score, snip in crossings}
    return _Page(order[offset : offset + limit], total + len(crossings), starts=starts, snippets=snippets)


def _only_common_words(conn, query: Query) -> bool:
    words = sorted(
        dict.fromkeys(w.lower() for group in query.groups for w in group[0].words()), key=len, reverse=True
    )
    forms = lexemes(
        conn, STEMMED, words
    )  # said in how many segments, as search matches it (SQLite counts FTS5's)
    for word in words:
        row = conn.execute(
            "SELECT docs FROM search_lexemes WHERE term = ?", (" ".join(forms.get(word, ())) or word,)
        ).fetchone()
        if row is None or row[0] < crosscut.COMMON_WORD:
            return False
    return bool(words)


def _crossings(
    conn, plan: PgPlan, query: Query, matched: set[int], literal, stats: Stats | None = None
) -> list[tuple]:
    """(segment id, offset of the match in its text, bm25 over its window, snippet) of each cross-cut hit, in
    ``RANKING`` order."""
    code = compiled(conn, query, UNSTEMMED)
    if code.tsquery is None:
        return []
    # the first window matches whose segment does not match alone (its vector is kept with the window: no join),
    # then the filters over those, as SQLite's crosscut.find does (no ORDER BY: with one, the planner walks the
    # windows by id testing each, a second at 1M)
    rows = conn.execute(
        "SELECT w.id, w.text, s.text FROM (SELECT id, text FROM segment_windows WHERE search_tsv @@ ?::tsquery "
        f"AND NOT segment_tsv @@ ?::tsquery LIMIT ?) w JOIN {SEGMENTS} ON s.id = w.id WHERE {plan.filters}",
        (code.tsquery, plan.tsquery, crosscut.WINDOW_LIMIT, *plan.filter_params),
    ).fetchall()
    rows = sorted(r for r in rows if r[0] not in matched)
    if not rows:
        return []
    phrase = len(query.groups) == 1 and " " in query.groups[0][0].text
    typed = [" ".join(group[0].words()).lower() for group in query.groups]
    _learn(conn, [window for _rowid, window, _own in rows], UNSTEMMED)
    found = {}
    for rowid, window, own in rows:
        marks = marked(window, spans(conn, window, code.phrases, UNSTEMMED))
        at = crosscut._crossing_start(marks, len(own), typed, phrase, literal)
        if at is not None:
            found[rowid] = (at, crosscut._snippet(marks, at))
    if not found:
        return []
    stats = stats or _segment_stats(conn, windows=True)
    frequencies = _frequencies(conn, code.phrases, "segment_windows", "search_words", "search_tsv")
    columns, score, more = bm25_sql(
        code.phrases, frequencies, stats, vector="w.search_tsv", length="w.search_len"
    )
    scored = conn.execute(
        f"SELECT id, {score} AS score FROM (SELECT w.id, {columns} FROM segment_windows w WHERE w.id = ANY(?)) m "
        "ORDER BY score, id",
        (*more, list(found)),
    ).fetchall()
    return [(rowid, found[rowid][0], value, found[rowid][1]) for rowid, value in scored]


# -- hits ------------------------------------------------------------------------------------------------------------
def _hits(conn, page: _Page, plan: PgPlan, literal) -> list[Hit]:
    from catalog.search.engine import _hit

    if not page.rowids:
        return []
    rows = conn.execute(
        "SELECT s.id, s.session_id, se.title, se.date, s.start, s.end, sp.name, s.text, s.marks, tr.language "
        "FROM segments s JOIN sessions se ON se.id = s.session_id LEFT JOIN tracks tr ON tr.id = s.track_id "
        "LEFT JOIN speakers sp0 ON sp0.id = s.speaker_id "
        "LEFT JOIN speakers sp ON sp.id = coalesce(sp0.merged_into, sp0.id) WHERE s.id = ANY(?)",
        (list(page.rowids),),
    ).fetchall()
    by_id = {row[0]: row for row in rows}
    _learn(conn, [row[7] for row in rows], STEMMED)  # every word of the page normalised in one statement
    starts, snippets = page.starts or {}, page.snippets or {}
    hits = []
    for rowid in page.rowids:
        if rowid not in by_id:
            continue
        row = by_id[rowid]
        shown = snippets.get(rowid)
        if shown is None:
            shown = snippet(row[7], spans(conn, row[7], plan.phrases, STEMMED))
        hits.append(_hit(row[:9], shown, literal, starts.get(rowid), row[9]))
    return hits


# -- the other languages' tracks (languages.py's rule) -----------------------------------------------------------------
def _other_tracks(
    conn, request: SearchRequest, query: Query, allowed, skip: int, room: int
) -> tuple[int, list]:
    from catalog.search.engine import _hit
    from catalog.search.languages import language_filter

    code = compiled(conn, query, UNSTEMMED)
    if code.tsquery is None:
        return 0, []
    where, params = ["t.search_tsv @@ ?::tsquery", visible(request.include_drafts)], [code.tsquery]
    if allowed is not None:
        where.append("se.id IN (SELECT unnest(?::bigint[]))")
        params.append(list(allowed))
    if request.lang:
        test, more = language_filter(request.lang, "tr.language")
        where.append(test)
        params += more
    source = (
        "FROM track_segments t JOIN tracks tr ON tr.id = t.track_id JOIN sessions se ON se.id = t.session_id "
        f"WHERE {' AND '.join(where)}"
    )
    literal = literal_matcher(query) if request.exact else None
    if literal is not None:
        rows = conn.execute(f"SELECT t.id, t.text {source} LIMIT ?", (*params, EXACT_LIMIT)).fetchall()
        kept = [rowid for rowid, text in rows if literal(text) is not None]
        source += " AND t.id IN (SELECT unnest(?::bigint[]))"
        params.append(kept)
    (total,) = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 {source} LIMIT ?) m", (*params, OTHER_COUNT_LIMIT)
    ).fetchone()
    if total == 0 or room <= 0:
        return total, []
    stat = conn.execute("SELECT count(*), coalesce(avg(search_len), 1) FROM track_segments").fetchone()
    stats = Stats(int(stat[0]), float(stat[1]))
    frequencies = _frequencies(conn, code.phrases, "track_segments", None, "search_tsv")
    columns, score, more = bm25_sql(
        code.phrases, frequencies, stats, vector="t.search_tsv", length="t.search_len"
    )
    rows = conn.execute(
        f"SELECT id, {score} AS score FROM (SELECT t.id, {columns} {source}) m ORDER BY score, id LIMIT ? OFFSET ?",
        (*more, *params, room, skip),
    ).fetchall()
    ids = [r[0] for r in rows]
    found = conn.execute(
        "SELECT t.id, t.session_id, se.title, se.date, t.start, t.end, NULL, t.text, t.marks, tr.language "
        "FROM track_segments t JOIN tracks tr ON tr.id = t.track_id JOIN sessions se ON se.id = t.session_id "
        "WHERE t.id = ANY(?)",
        (ids,),
    ).fetchall()
    by_id = {row[0]: row for row in found}
    _learn(conn, [row[7] for row in found], UNSTEMMED)
    hits = []
    for rowid in ids:
        row = by_id[rowid]
        shown = snippet(row[7], spans(conn, row[7], code.phrases, UNSTEMMED))
        hits.append(replace(_hit(row[:9], shown, literal, language=row[9]), primary=False))
    return total, hits


# -- sessions by their titles -------------------------------------------------------------------------------------------
def search_sessions(conn, text: str, *, limit: int, include_drafts: bool) -> list[int]:
    from catalog.search.engine import MAX_LIMIT

    query = parse(text)
    if query.fts is None:
        return []
    code = compiled(conn, query, STEMMED)
    if code.tsquery is None:
        return []
    limit = min(max(int(limit), 1), MAX_LIMIT)
    stat = conn.execute("SELECT count(*), coalesce(avg(search_len), 1) FROM sessions").fetchone()
    frequencies = _frequencies(conn, code.phrases, "sessions", None, "search_tsv")
    columns, score, more = bm25_sql(
        code.phrases,
        frequencies,
        Stats(int(stat[0]), float(stat[1])),
        vector="se.search_tsv",
        length="se.search_len",
    )
    rows = conn.execute(
        f"SELECT id, {score} AS score FROM (SELECT se.id, {columns} FROM sessions se "
        f"WHERE se.search_tsv @@ ?::tsquery AND {visible(include_drafts)}) m ORDER BY score, id LIMIT ?",
        (*more, code.tsquery, limit),
    ).fetchall()
    return [r[0] for r in rows]


# -- typo tolerance's questions (typos.py) ----------------------------------------------------------------------------
def in_archive(conn, form: str) -> bool:
    """Any form of the word is in the archive: a word of the windows, of another language's track, or (stemmed,
    as search matches it) of a segment."""
    simple = lexemes(conn, UNSTEMMED, [form])[form]
    stemmed = lexemes(conn, STEMMED, [form])[form]
    if not simple or not stemmed:
        return False
    folded = Phrase(simple).tsquery()
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM search_words WHERE term = ? AND docs > 0) "
        "OR EXISTS (SELECT 1 FROM track_segments WHERE search_tsv @@ ?::tsquery) "
        "OR EXISTS (SELECT 1 FROM segment_rows WHERE search_tsv @@ ?::tsquery)",
        (" ".join(simple), folded, Phrase(stemmed).tsquery()),
    ).fetchone()
    return bool(row[0])


def vocabulary_key(conn) -> tuple[str, tuple]:
    """Which archive (its database) and when it last changed (the catalog's data version): the typo vocabulary's
    cache key and freshness, as ``PRAGMA database_list`` and ``data_version`` are on SQLite."""
    from catalog.store import pg

    info = conn.raw.info  # the adapter's psycopg connection: which server and database, without a round trip
    return f"postgresql:{info.host}:{info.port}/{info.dbname}", (pg.data_version(conn).token,)


# -- chat, related moments, trends: the SQLite modules' rules, over the PostgreSQL indexes -----------------------------
def chat_page(
    conn, query: Query, where: str, params: list, limit: int, offset: int
) -> tuple[int, list[tuple]]:
    """(total, rows) of the chat messages matching ``query`` under ``where`` (over ``c`` and ``se``), best first
    (bm25, ties by message id); each row as ``store/extras.py``'s ``ChatHit`` fields, the message marked."""
    code = compiled(conn, query, STEMMED)
    if code.tsquery is None:
        return 0, []
    body = (
        "FROM session_chat c JOIN sessions se ON se.id = c.session_id "
        f"WHERE c.search_tsv @@ ?::tsquery AND {where}"
    )
    (total,) = conn.execute(f"SELECT count(*) {body}", (code.tsquery, *params)).fetchone()
    if total == 0:
        return 0, []
    stat = conn.execute("SELECT count(*), coalesce(avg(search_len), 1) FROM session_chat").fetchone()
    frequencies = _frequencies(conn, code.phrases, "session_chat", None, "search_tsv")
    columns, score, more = bm25_sql(
        code.phrases,
        frequencies,
        Stats(int(stat[0]), float(stat[1])),
        vector="c.search_tsv",
        length="c.search_len",
    )
    rows = conn.execute(
        f"SELECT session_id, title, date, id, start, sender, text, {score} AS score FROM (SELECT c.session_id, "
        f"se.title, se.date, c.id, c.start, c.sender, c.text, {columns} {body}) m ORDER BY score, id LIMIT ? OFFSET ?",
        (*more, code.tsquery, *params, limit, offset),
    ).fetchall()
    _learn(conn, [row[6] for row in rows], STEMMED)
    return total, [(*row[:7], marked(row[6], spans(conn, row[6], code.phrases, STEMMED))) for row in rows]


def distinctive_words(conn, text: str, terms: int, common: int, max_words: int) -> list[str]:
    """``related.distinctive_words`` on PostgreSQL: up to ``terms`` words of ``text``, one per lexeme (a word
    that is one lexeme), said in more than one and fewer than ``common`` segments, rarest first."""
    import re

    words = list(dict.fromkeys(w.lower() for w in re.findall(r"\w+", text or "")))[:max_words]
    by_lexeme: dict[str, str] = {}
    for word, found in lexemes(conn, STEMMED, words).items():
        if len(found) == 1:
            by_lexeme.setdefault(found[0], word)
    if not by_lexeme:
        return []
    rows = conn.execute(
        "SELECT term, docs FROM search_lexemes WHERE term = ANY(?) AND docs > 1 AND docs < ?",
        (list(by_lexeme), common),
    ).fetchall()
    counted = sorted((docs, term, by_lexeme[term]) for term, docs in rows)
    return [word for _, _, word in counted[:terms]]


def related_ranked(conn, words: list[str], session_id: int, limit: int, candidates: int, choose) -> list[Hit]:
    """``related._ranked`` on PostgreSQL: the words OR-ed, every match ranked by bm25; the best match of each
    other published session (``choose``), best first, marked."""
    from catalog.search.engine import _hit
    from catalog.search.query import Term

    query = Query((tuple(Term(w) for w in words),))
    code = compiled(conn, query, STEMMED)
    if code.tsquery is None:
        return []
    stats = _segment_stats(conn)
    frequencies = _frequencies(conn, code.phrases, "segment_rows", "search_lexemes", "search_tsv")
    columns, score, more = bm25_sql(code.phrases, frequencies, stats)
    chosen: dict[int, int] = {}
    wanted, seen = candidates, 0
    while True:
        rowids = [
            r[0]
            for r in conn.execute(
                f"SELECT id FROM (SELECT s.id, {columns} FROM segment_rows s WHERE s.search_tsv @@ ?::tsquery) m "
                f"ORDER BY {score}, id LIMIT ?",
                (*more, code.tsquery, wanted),
            )
        ]
        choose(conn, rowids[seen:], session_id, limit, chosen)
        if len(chosen) >= limit or len(rowids) < wanted:
            break
        seen, wanted = len(rowids), wanted * 10
    from catalog.search.related import _rows

    if not chosen:
        return []
    by_id = {row[0]: row for row in _rows(conn, list(chosen.values()))}
    return [
        _hit(by_id[r], snippet(by_id[r][7], spans(conn, by_id[r][7], code.phrases, STEMMED)), None)
        for r in chosen.values()
        if r in by_id
    ]


def trend_counts(
    conn, request: SearchRequest, query: Query, length: int
) -> tuple[dict[str, int] | None, str | None]:
    """``trends._counts`` on PostgreSQL: {period label (the date's first ``length`` characters): matches}, cross-cut
    hits added in each period counting at most ``crosscut.TOTAL_LIMIT``; or ``(None, why)`` for a bad filter."""
    code = compiled(conn, query, STEMMED)
    plan, message = _plan(conn, request, query, code)
    if plan is None:
        return (None, message) if message else ({}, None)
    period = f"substr(se.date, 1, {int(length)})"
    rows = conn.execute(
        f"SELECT {period} AS period, count(*) FROM {SEGMENTS} WHERE {plan.where} AND se.date IS NOT NULL "
        "GROUP BY period",
        plan.params,
    ).fetchall()
    counts = {label: count for label, count in rows}
    if not crosscut.applies(query):
        return counts, None
    ids = [rowid for rowid, _at, _score, _snip in _crossings(conn, plan, query, set(), None)]
    if not ids:
        return counts, None
    extra = conn.execute(
        f"SELECT {period} AS period, count(*) FROM {SEGMENTS} WHERE s.id = ANY(?) AND se.date IS NOT NULL "
        "GROUP BY period",
        (ids,),
    ).fetchall()
    total = dict(counts)
    for label, count in extra:
        if counts.get(label, 0) <= crosscut.TOTAL_LIMIT:
            total[label] = total.get(label, 0) + count
    return total, None
