"""The exact BM25 ranking every contender's top 20 is held against (defined in docs/benchmarks.md).

For a query, the reference is FTS5's own ``bm25()`` computed over **every** segment that matches the query's FTS5
expression (``Query.fts``: the corrected word for a typo, the phrase, ``"pref"*`` for a prefix, the OR of both
words), in the catalog file itself, with no cut-off of any kind: ``ORDER BY bm25(...), rowid``, the first 20.
A speaker-filter query ranks the matches said by that speaker. A cross-cut phrase ranks the windows
(``segment_windows_fts``: a segment's text and the head of the next ones) that hold it, each standing for its
segment: the segments alone cannot hold it. A window stands for its segment only where a match of the phrase
starts in the segment's own text: one lying wholly in the head is the next segment's moment (its own window or
its text holds it too), so counting it would count one moment twice, under the id of a segment that does not say
it; such a window is no hit of the reference, and an id standing only for one counts for nothing.

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


WINDOWS = "segment_windows_fts"


def table_of(query: Query) -> str:
    return WINDOWS if query.cls == "cross-cut phrase" else "segments_fts"


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
            if table == WINDOWS:
                sql = (
                    f"SELECT rowid, bm25({table}) AS score FROM {table} WHERE {table} MATCH ?{where} "
                    "ORDER BY score, rowid"
                )
                ranked = self.conn.execute(sql, (query.fts, *params)).fetchall()
                self._reference[key] = self._own(query, ranked, TOP)
            else:
                sql = (
                    f"SELECT rowid, bm25({table}) AS score FROM {table} WHERE {table} MATCH ?{where} "
                    f"ORDER BY score, rowid LIMIT {TOP}"
                )
                self._reference[key] = self.conn.execute(sql, (query.fts, *params)).fetchall()
        return self._reference[key]

    def _own(self, query: Query, ranked: list[tuple[int, float]], top: int | None = None) -> list:
        """Those of the ranked windows where a match starts in the segment's own text (in order, the first
        ``top``): a window whose matches all lie in its head stands for the next segment, not its own."""
        kept: list[tuple[int, float]] = []
        for start in range(0, len(ranked), 500):
            chunk = ranked[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found = dict(
                self.conn.execute(
                    f"SELECT w.rowid, highlight({WINDOWS}, 0, char(2), char(3)) || char(1) || length(s.text) "
                    f"FROM {WINDOWS} w JOIN segments s ON s.id = w.rowid "
                    f"WHERE {WINDOWS} MATCH ? AND w.rowid IN ({marks})",
                    (query.fts, *(rowid for rowid, _score in chunk)),
                ).fetchall()
            )
            for rowid, score in chunk:
                marked, _, own = found.get(rowid, "\x01-1").rpartition("\x01")
                if marked.find("\x02") >= 0 and marked.find("\x02") < int(own):
                    kept.append((rowid, score))
                    if top is not None and len(kept) >= top:
                        return kept
        return kept

    def scores(self, query: Query, ids: list[int]) -> dict[int, float]:
        """The exact bm25 of each of ``ids`` that matches the query (the others are absent)."""
        if not ids:
            return {}
        table = table_of(query)
        where, params = self._filter(query, table)
        marks = ",".join("?" * len(ids))
        sql = f"SELECT rowid, bm25({table}) FROM {table} WHERE {table} MATCH ? AND rowid IN ({marks}){where}"
        found = self.conn.execute(sql, (query.fts, *ids, *params)).fetchall()
        return dict(self._own(query, found) if table == WINDOWS else found)

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
