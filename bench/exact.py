"""The exact BM25 ranking every contender's top 20 is held against (defined in docs/benchmarks.md).

For a query, the reference is FTS5's own ``bm25()`` computed over **every** segment that matches the query's FTS5
expression (``Query.fts``: the corrected word for a typo, the phrase, ``"pref"*`` for a prefix, the OR of both
words), in the catalog file itself, with no cut-off of any kind: ``ORDER BY bm25(...), rowid``, the first 20.
A speaker-filter query ranks the matches said by that speaker. A cross-cut phrase ranks the windows
(``segment_windows_fts``: a segment's text and the head of the next ones) that hold it, each standing for its
segment: the segments alone cannot hold it.

A contender's **top-20 agreement** for a query is the share of the reference's hits that the contender's 20 match
in rank quality: the number of ids it returned whose exact bm25 is at least as good as the reference's 20th
(``s20``), at most the reference's size, over that size. Ties at the cut therefore count alike whichever tied row a
contender keeps, an id that does not match the expression counts for nothing, and a contender that returns the
reference's own rows scores 1.0. An empty reference agrees with an empty answer (1.0), with nothing else (0.0).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.queries import Query

TOP = 20
EPSILON = 1e-9  # relative: float equality of two bm25 values of the same row


def table_of(query: Query) -> str:
    return "segment_windows_fts" if query.cls == "cross-cut phrase" else "segments_fts"


class ExactBM25:
    def __init__(self, db_path: Path):
        self.conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        self.conn.execute("PRAGMA cache_size = -65536")
        self._reference: dict[tuple, list[tuple[int, float]]] = {}

    def _filter(self, query: Query, table: str) -> tuple[str, tuple]:
        if query.speaker_id is None:
            return "", ()
        return f" AND {table}.rowid IN (SELECT id FROM segments WHERE speaker_id = ?)", (query.speaker_id,)

    def reference(self, query: Query) -> list[tuple[int, float]]:
        """(segment id, bm25) of the exact top 20, best first (FTS5's bm25: lower is better)."""
        key = (query.cls, query.fts, query.speaker_id)
        if key not in self._reference:
            table = table_of(query)
            where, params = self._filter(query, table)
            sql = (
                f"SELECT rowid, bm25({table}) AS score FROM {table} WHERE {table} MATCH ?{where} "
                f"ORDER BY score, rowid LIMIT {TOP}"
            )
            self._reference[key] = self.conn.execute(sql, (query.fts, *params)).fetchall()
        return self._reference[key]

    def scores(self, query: Query, ids: list[int]) -> dict[int, float]:
        """The exact bm25 of each of ``ids`` that matches the query (the others are absent)."""
        if not ids:
            return {}
        table = table_of(query)
        where, params = self._filter(query, table)
        marks = ",".join("?" * len(ids))
        sql = f"SELECT rowid, bm25({table}) FROM {table} WHERE {table} MATCH ? AND rowid IN ({marks}){where}"
        return dict(self.conn.execute(sql, (query.fts, *ids, *params)).fetchall())

    def agreement(self, query: Query, returned: list[int]) -> float:
        reference = self.reference(query)
        if not reference:
            return 1.0 if not returned else 0.0
        cut = reference[-1][1]
        scores = self.scores(query, list(dict.fromkeys(returned)))
        good = sum(1 for s in scores.values() if s <= cut + abs(cut) * EPSILON)
        return min(good, len(reference)) / len(reference)

    def close(self) -> None:
        self.conn.close()
