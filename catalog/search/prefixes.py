"""A lone prefix (``gove*``) ranked from a list (``catalog/store/prefix_lists.py``, ``catalog/store/impact.py``).

FTS5 scores a prefix as one phrase (its count in a segment the sum of its terms' counts, its df the segments
holding any), so a prefix standing for one term is that term, and a listed prefix is ranked like a term with a
list: its best listed segments, each scored exactly, and the page is exact when its last row scores above what any
unlisted segment can (the list's rule bounds an unlisted segment's count at each length). ``None`` when no list
stands for the prefix or the list cannot decide the page: the caller scans (``lists.prefix_page``).
"""

from __future__ import annotations

import sqlite3

from catalog.store import impact, prefix_lists

USE = True  # rank from the prefix lists where they decide (switched off only to show what the tests need)


def page(
    conn: sqlite3.Connection, stem: str, excluded: tuple[int, ...], offset: int, limit: int, count_hidden
) -> tuple[list[tuple[float, int]], int] | None:
    """``([(bm25, segment id)] of the page, total)`` of the prefix ``stem*`` (``stem`` as the index spells it)."""
    from catalog.search import lists

    span = prefix_lists.branch_of(conn, stem) if prefix_lists.present(conn) else None
    if span is None:
        return None
    first, last = span
    if first == last:
        row = conn.execute(
            "SELECT id, df, theta FROM impact_terms WHERE term = ? AND theta IS NOT NULL", (first,)
        ).fetchone()
        sql = lists.TERM_ENTRIES
    else:
        row = prefix_lists.listed(conn, stem, first, last)
        sql = "SELECT segment_id, tf, dl FROM impact_prefix_postings WHERE prefix_id = ? "
    if row is None:
        return None
    list_id, df, theta = row
    meta = conn.execute("SELECT avgdl, max_dl FROM impact_meta WHERE id = 1").fetchone()
    rows, tokens = impact.averages(conn)
    if meta is None or not rows or not tokens:
        return None
    avgdl0, max_dl = meta
    avgdl = tokens / rows
    idf = impact.idf(rows, df)
    bound = idf * max(lists._unlisted(theta, avgdl0, avgdl, max_dl)[1], default=0.0)
    hidden = lists._Hidden(conn, excluded)
    need = offset + limit
    kept = lists._best_listed(conn, list_id, idf, avgdl, hidden, need, entries=sql)
    complete = theta <= 0
    if len(kept) < need and not complete:
        return None
    if kept[need - 1 : need] and not complete and -kept[need - 1][0] <= bound:
        return None
    return kept[offset:need], df - (count_hidden() if excluded else 0)
