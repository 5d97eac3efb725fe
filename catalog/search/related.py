"""Related moments ("said elsewhere"): the moments in *other* published sessions about what one segment says.

A more-like-this query over the segment's distinctive terms, ranked by bm25:

1. The segment's words are turned into index terms by FTS5 itself: each word goes into a per-connection temporary
   FTS5 table with the archive's tokenizer, and its ``fts5vocab`` table names the term each word becomes (so
   "housing" and "houses" are one term, ``hous``, exactly as the index holds it).
2. Each term's document frequency is counted with a cap (``COMMON``): a walk over at most that many entries of
   its doclist. ``fts5vocab``'s own row count walks the whole doclist, which for common words costs tens of
   milliseconds at 1M segments; a term said in ``COMMON`` segments or more is not distinctive anyway.
3. The ``TERMS`` rarest terms found elsewhere (document frequency above 1 and below the cap; highest idf first)
   are OR-ed and ranked by bm25 (FTS5's ``ORDER BY rank``, the search's own order); the best moment of each
   other published session is kept, best first. Every match scored is in a doclist under the cap, so the cost
   is bounded: at most ``TERMS * COMMON`` matches.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from catalog.errors import NotFound
from catalog.models import Hit
from catalog.search.engine import _hit
from catalog.search.paths import SNIPPET
from catalog.search.pg_query import on_postgres

COMMON = 1_000  # a term in this many segments or more is not distinctive (and would cost too much to rank)
TERMS = 5  # distinctive terms OR-ed into the query
CANDIDATES = 60  # best-ranked matches looked at to find up to ``limit`` distinct sessions
MAX_LIMIT = 20
MAX_WORDS = 80  # a segment's first distinct words considered (segments are a sentence or two)
_WORD = re.compile(r"\w+")
_SETUP = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.uscm_words USING fts5(word, "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.uscm_word_terms USING fts5vocab(temp, uscm_words, 'instance')",
)


@dataclass(frozen=True)
class RelatedMoments:
    """The moments elsewhere that say what ``segment_id`` says; ``terms`` are the words the query used."""

    source: Hit  # the segment itself (``marked`` is its text)
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]


def related(conn: sqlite3.Connection, segment_id: int, limit: int = 5) -> RelatedMoments:
    """Up to ``limit`` moments of other published sessions, one per session, best first. ``NotFound`` when the
    segment is not in a published session."""
    rows = _rows(conn, [int(segment_id)]) if 0 < int(segment_id) < 2**63 else []
    if not rows:
        raise NotFound(f"no published segment with id {segment_id}")
    source = _hit(rows[0], "", None)
    words = distinctive_words(conn, source.text)
    limit = min(max(int(limit), 1), MAX_LIMIT)
    hits = _ranked(conn, words, source.session_id, limit) if words else []
    return RelatedMoments(source, tuple(words), tuple(hits))


def distinctive_words(conn: sqlite3.Connection, text: str) -> list[str]:
    """Up to ``TERMS`` words of ``text``, one per index term, the rarest elsewhere first."""
    if on_postgres(conn):
        from catalog.search.pg_search import distinctive_words as on_pg

        return on_pg(conn, text, TERMS, COMMON, MAX_WORDS)
    by_term = _terms(conn, text)
    counted = []
    for term, word in by_term.items():
        found = _capped_count(conn, word)
        if 1 < found < COMMON:
            counted.append((found, term, word))
    counted.sort()
    return [word for _, _, word in counted[:TERMS]]


def _terms(conn: sqlite3.Connection, text: str) -> dict[str, str]:
    """{index term: a word of ``text`` that becomes it}, in the order first said. A word the tokenizer splits in
    two (or drops) is left out: it is not one term."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text or "")))[:MAX_WORDS]
    if not words:
        return {}
    for statement in _SETUP:
        conn.execute(statement)
    conn.execute("DELETE FROM temp.uscm_words")
    conn.executemany("INSERT INTO temp.uscm_words(rowid, word) VALUES (?, ?)", list(enumerate(words)))
    per_word: dict[int, list[str]] = {}
    for term, doc in conn.execute("SELECT term, doc FROM temp.uscm_word_terms"):
        per_word.setdefault(doc, []).append(term)
    conn.execute("DELETE FROM temp.uscm_words")
    terms: dict[str, str] = {}
    for doc in sorted(per_word):
        if len(per_word[doc]) == 1:
            terms.setdefault(per_word[doc][0], words[doc])
    return terms


def _capped_count(conn: sqlite3.Connection, word: str) -> int:
    sql = "SELECT count(*) FROM (SELECT rowid FROM segments_fts WHERE segments_fts MATCH ? LIMIT ?)"
    return conn.execute(sql, (_quoted(word), COMMON)).fetchone()[0]


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _ranked(conn: sqlite3.Connection, words: list[str], session_id: int, limit: int) -> list[Hit]:
    """The best match of each other published session, best first. FTS5 ranks the matches alone (no join);
    the best ``CANDIDATES`` are then looked up, and more only when those hold too few sessions."""
    if on_postgres(conn):
        from catalog.search.pg_search import related_ranked

        return related_ranked(conn, words, session_id, limit, CANDIDATES, _choose)
    match = " OR ".join(_quoted(w) for w in words)
    chosen: dict[int, int] = {}
    wanted, seen = CANDIDATES, 0
    while True:
        rowids = [
            r[0]
            for r in conn.execute(
                "SELECT rowid FROM segments_fts WHERE segments_fts MATCH ? ORDER BY rank LIMIT ?",
                (match, wanted),
            )
        ]
        _choose(conn, rowids[seen:], session_id, limit, chosen)
        if len(chosen) >= limit or len(rowids) < wanted:
            break
        seen, wanted = len(rowids), wanted * 10
    return _hits(conn, match, list(chosen.values()))


def _choose(conn: sqlite3.Connection, rowids: list[int], session_id: int, limit: int, chosen: dict) -> None:
    """Add to ``chosen`` ({session: segment}) the first of ``rowids`` (in rank order) of each other published
    session, up to ``limit`` sessions."""
    if not rowids:
        return
    marks = ",".join("?" * len(rowids))
    sessions = dict(
        conn.execute(
            "SELECT s.id, s.session_id FROM segments s JOIN sessions se ON se.id = s.session_id "
            f"WHERE s.id IN ({marks}) AND se.status = 'published' AND s.session_id != ?",
            (*rowids, session_id),
        ).fetchall()
    )
    for rowid in rowids:
        other = sessions.get(rowid)
        if other is not None and other not in chosen and len(chosen) < limit:
            chosen[other] = rowid


def _hits(conn: sqlite3.Connection, match: str, rowids: list[int]) -> list[Hit]:
    if not rowids:
        return []
    marks = ",".join("?" * len(rowids))
    snippets = dict(
        conn.execute(
            f"SELECT rowid, {SNIPPET} FROM segments_fts WHERE segments_fts MATCH ? AND rowid IN ({marks})",
            (match, *rowids),
        ).fetchall()
    )
    by_id = {row[0]: row for row in _rows(conn, rowids)}
    return [_hit(by_id[r], snippets.get(r, ""), None) for r in rowids if r in by_id]


def _rows(conn: sqlite3.Connection, rowids: list[int]) -> list[tuple]:
    """These segments of published sessions, as the search's hit rows."""
    marks = ",".join("?" * len(rowids))
    return conn.execute(
        "SELECT s.id, s.session_id, se.title, se.date, s.start, s.end, sp.name, s.text, s.marks "
        "FROM segments s JOIN sessions se ON se.id = s.session_id "
        "LEFT JOIN speakers sp0 ON sp0.id = s.speaker_id "
        "LEFT JOIN speakers sp ON sp.id = coalesce(sp0.merged_into, sp0.id) "
        f"WHERE s.id IN ({marks}) AND se.status = 'published'",
        rowids,
    ).fetchall()
