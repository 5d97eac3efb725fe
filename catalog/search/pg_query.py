"""A parsed search (``query.Query``) → a PostgreSQL ``tsquery``, and the BM25 formula that ranks its matches.
Pure: no SQL is run here; the words' lexemes come from a function the caller gives (PostgreSQL's own
normalisation, ``catalog/search/pg_search.py``), so what is compiled is what the index holds.

The syntax maps one for one onto the SQLite engine's: a phrase is ``a <-> b <-> c``, a prefix ``word:*`` (the
phrase's last word), the terms of an ``OR`` group ``|``, groups ``&``, an excluded term ``& !term``. Every lexeme
is quoted (``'it''s'``), so no input reaches PostgreSQL as operator syntax: a cast of the result to ``tsquery``
never fails.

Ranking is FTS5's ``bm25()`` spelt out in SQL (k1 = 1.2, b = 0.75, each phrase of the query a term with its own
document frequency, an IDF of ``log((N - n + 0.5) / (n + 0.5))`` floored at 1e-6), lower is better as in FTS5, so
ties by segment id and the cross-cut merge work as on SQLite.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from catalog.search.query import Query, Term

K1, B = 1.2, 0.75
IDF_FLOOR = 1e-6  # FTS5's: a term in more than half the documents still counts a little


@dataclass(frozen=True)
class Phrase:
    """One quoted term as the index holds it: its lexemes in order, the last one a prefix if ``prefix``."""

    lexemes: tuple[str, ...]
    prefix: bool = False

    def tsquery(self) -> str:
        parts = [quote(lexeme) for lexeme in self.lexemes]
        if self.prefix:
            parts[-1] += ":*"
        return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


@dataclass(frozen=True)
class Compiled:
    """A query ready for PostgreSQL: ``tsquery`` (text for ``::tsquery``), or ``None`` when it can match nothing;
    ``phrases``: every positive phrase once, in query order (the terms BM25 sums over, as FTS5's bm25 does)."""

    tsquery: str | None
    phrases: tuple[Phrase, ...] = ()
    groups: tuple[tuple[Phrase, ...], ...] = ()


def on_postgres(conn) -> bool:
    """Whether ``conn`` is the PostgreSQL adapter (``catalog/store/pg.py``) rather than a ``sqlite3`` connection."""
    return getattr(conn, "dialect", "sqlite") == "postgresql"


def quote(lexeme: str) -> str:
    """A lexeme as a tsquery operand: single-quoted, inner quotes doubled, backslashes escaped."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def phrase_of(term: Term, lexemes_of: Callable[[str], Sequence[str]]) -> Phrase | None:
    """The term's words as lexemes (a word may give several, or none); ``None`` when none is left."""
    lexemes = tuple(lexeme for word in term.words() for lexeme in lexemes_of(word) if lexeme)
    return Phrase(lexemes, term.prefix) if lexemes else None


def compile_query(query: Query, lexemes_of: Callable[[str], Sequence[str]]) -> Compiled:
    """``query`` as a tsquery. A group whose every term normalises to nothing makes the query match nothing (as a
    term FTS5 could not find); an excluded term that does leaves nothing out."""
    groups: list[tuple[Phrase, ...]] = []
    for group in query.groups:
        phrases = tuple(p for p in (phrase_of(t, lexemes_of) for t in group) if p is not None)
        if not phrases:
            return Compiled(None)
        groups.append(tuple(dict.fromkeys(phrases)))
    if not groups:
        return Compiled(None)
    excluded = [p for p in (phrase_of(t, lexemes_of) for t in query.excluded) if p is not None]
    positive = " & ".join(_group(group, len(groups) > 1 or bool(excluded)) for group in groups)
    text = positive + "".join(f" & !{p.tsquery()}" for p in excluded)
    ordered = tuple(dict.fromkeys(p for group in groups for p in group))
    return Compiled(text, ordered, tuple(groups))


def _group(phrases: tuple[Phrase, ...], wrap: bool) -> str:
    body = " | ".join(p.tsquery() for p in phrases)
    return f"({body})" if wrap and len(phrases) > 1 else body


def idf(documents: int, matching: int) -> float:
    """FTS5's IDF: ``log((N - n + 0.5) / (n + 0.5))``, floored at ``IDF_FLOOR``."""
    ratio = (documents - matching + 0.5) / (matching + 0.5)  # (a count over windows may pass N: floored)
    value = math.log(ratio) if documents and ratio > 0 else 0.0
    return value if value > 0 else IDF_FLOOR


@dataclass(frozen=True)
class Stats:
    """What BM25 needs of an index: how many documents, their mean length in tokens."""

    documents: int
    mean_length: float


TF_WEIGHTS = "'{1,1,1,1}'"  # ts_rank_cd with every weight 1 and no normalisation: how often the phrase occurs


def bm25_sql(
    phrases: Sequence[Phrase],
    frequencies: Mapping[Phrase, int],
    stats: Stats,
    *,
    vector: str = "s.search_tsv",
    length: str = "s.search_len",
) -> tuple[str, str, list]:
    """FTS5's bm25 of each row in SQL: ``(columns, score, params)``. ``columns`` (for an inner SELECT, ``?``
    placeholders for ``params``) are each phrase's ``tf`` — how often it occurs in the row, which
    ``ts_rank_cd`` with unit weights and no normalisation counts exactly, in C — and ``search_len``; ``score``
    (over the inner SELECT's columns) is the negated sum of IDF · tf · (k1 + 1) / (tf + k1 · (1 − b + b · length
    / mean length)), lower is better as in FTS5."""
    columns = [f"{length} AS bm25_len"]
    terms, params = [], []
    mean = stats.mean_length or 1.0
    norm = f"({K1} * (1 - {B} + {B} * bm25_len / {mean!r}))"
    for index, phrase in enumerate(phrases):
        weight = idf(stats.documents, frequencies.get(phrase, 0))
        columns.append(f"ts_rank_cd({TF_WEIGHTS}, {vector}, ?::tsquery) AS tf{index}")
        params.append(phrase.tsquery())
        terms.append(f"{weight!r} * tf{index} * {K1 + 1} / (tf{index} + {norm})")
    return ", ".join(columns), "-(" + (" + ".join(terms) or "0") + ")", params
