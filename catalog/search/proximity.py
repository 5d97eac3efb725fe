"""Words said together rank first: an unquoted query of three or more words lists the segments where its words
come close together (FTS5 ``NEAR``, within the query's length plus ``crosscut.LOOSE_SLACK`` words) before those
where they are scattered, each tier in its own order. So a quote remembered with a word missing, or two words
swapped, comes before a long segment that merely holds the same common words.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace

from catalog.search.crosscut import LOOSE_SLACK
from catalog.search.paths import Page, Plan
from catalog.search.query import Query

MIN_WORDS = 3
ENABLED = True


def near_expression(query: Query) -> str | None:
    """``NEAR(...)`` over the query's terms, when it is three or more words with no ``OR``."""
    if not ENABLED or any(len(group) != 1 for group in query.groups):
        return None
    terms = [group[0] for group in query.groups]
    words = sum(len(term.words()) for term in terms)
    if len(terms) < 2 or words < MIN_WORDS:
        return None
    return f"NEAR({' '.join(term.fts() for term in terms)}, {words + LOOSE_SLACK})"


def near_first(
    conn: sqlite3.Connection,
    plan: Plan,
    query: Query,
    run: Callable[[sqlite3.Connection, Plan, int, int], Page],
) -> Callable[[int, int], Page]:
    """A function (offset, limit) -> page: the near tier first, then the rest."""
    near = near_expression(query)
    if near is None:
        return lambda offset, limit: run(conn, plan, offset, limit)
    together = replace(plan, match=f"({plan.match}) AND {near}")
    apart = replace(plan, match=f"({plan.match}) NOT {near}")

    def page(offset: int, limit: int) -> Page:
        first = run(conn, together, offset, limit)
        rest_offset = max(offset - first.total, 0)
        rest = run(conn, apart, rest_offset, max(limit - len(first.rowids), 1))
        taken = rest.rowids[: limit - len(first.rowids)]
        return Page(
            first.rowids + taken,
            first.total + rest.total,
            first.ordered_by if first.rowids else rest.ordered_by,
            {**rest.snippets, **first.snippets},
            leading=len(first.rowids),
            ranked_by=together.match,
            scores={**rest.scores, **first.scores},
        )

    return page
