"""Term trends: how many moments match a term (in the search syntax) per year or month of the archive.

Each count is what the search for that term as typed (``correct=False``: no typo correction), with the same
filters and ``since``/``until`` bounding the period, reports as its ``total``: the filters are planned by the
search's own ``_plan`` (speaker, topic, event), only published sessions count, and a session counts in the period
of its date (undated sessions in none). One statement per term: the term's matches joined to their sessions and
grouped by the period of the date; then, for a query of two or more words, its hits across segment cuts
(``crosscut.find``, the same windows the search looks at), added in each period whose count is at most
``crosscut.TOTAL_LIMIT`` (the search looks across cuts only then).
"""

from __future__ import annotations

import calendar
import sqlite3
from dataclasses import dataclass

from catalog.errors import CatalogError
from catalog.models import SearchRequest
from catalog.search import crosscut
from catalog.search.engine import _plan
from catalog.search.paths import Plan
from catalog.search.pg_query import on_postgres
from catalog.search.query import EMPTY_MESSAGE, Query, parse

PERIODS = ("year", "month")
MAX_TERMS = 5
MAX_TERM = 200
_LABEL_LENGTH = {"year": 4, "month": 7}


@dataclass(frozen=True)
class TrendRequest:
    """Up to ``MAX_TERMS`` terms, each any search input; ``by`` is ``year`` or ``month``."""

    terms: tuple[str, ...]
    by: str = "year"
    event: str | None = None
    speaker: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class TrendPeriod:
    label: str  # 2024 or 2024-03
    since: str  # its first day, YYYY-MM-DD
    until: str  # its last day


@dataclass(frozen=True)
class TrendSeries:
    term: str
    counts: tuple[int, ...]  # one per period, in order
    message: str | None = None  # why a term finds nothing to look for

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Trend:
    by: str
    periods: tuple[TrendPeriod, ...]
    series: tuple[TrendSeries, ...]
    message: str | None = None  # e.g. no such speaker, or no term given


def trend(conn: sqlite3.Connection, request: TrendRequest) -> Trend:
    by, terms = _checked(request)
    if not terms:
        return Trend(by, (), (), EMPTY_MESSAGE)
    found: list[tuple[str, dict[str, int], str | None]] = []
    problem = None
    for term in terms:
        counts, message, filter_message = _counts(conn, request, term, by)
        problem = problem or filter_message
        found.append((term, counts, message))
    periods = _periods(by, [label for _, counts, _ in found for label in counts])
    series = tuple(
        TrendSeries(term, tuple(counts.get(p.label, 0) for p in periods), message)
        for term, counts, message in found
    )
    return Trend(by, periods, series, problem)


def _checked(request: TrendRequest) -> tuple[str, list[str]]:
    if request.by not in PERIODS:
        raise CatalogError(f"by must be one of {', '.join(PERIODS)}, got {request.by!r}", field="by")
    terms = [t.strip()[:MAX_TERM] for t in request.terms if isinstance(t, str) and t.strip()]
    if len(terms) > MAX_TERMS:
        raise CatalogError(f"at most {MAX_TERMS} terms at once, got {len(terms)}", field="q")
    return request.by, list(dict.fromkeys(terms))


def _counts(
    conn: sqlite3.Connection, request: TrendRequest, term: str, by: str
) -> tuple[dict[str, int], str | None, str | None]:
    """({period label: count}, why the term finds nothing, why the filters find nothing)."""
    query = parse(term)
    if query.fts is None:
        return {}, query.message, None
    search = SearchRequest(query=term, event=request.event, speaker=request.speaker, topic=request.topic)
    if on_postgres(conn):
        from catalog.search.pg_search import trend_counts

        found, message = trend_counts(conn, search, query, _LABEL_LENGTH[by])
        if found is None:
            return {}, None, message
        return {label: n for label, n in found.items() if _valid_label(label, by)}, None, None
    plan, message = _plan(conn, search, query)
    if plan is None:
        return {}, None, message
    where, params = _where(plan)
    rows = conn.execute(
        f"SELECT substr(se.date, 1, {_LABEL_LENGTH[by]}) AS period, count(*) "
        "FROM segments_fts f CROSS JOIN segments s ON s.id = f.rowid CROSS JOIN sessions se ON se.id = s.session_id "
        f"WHERE {where} AND se.status = 'published' AND se.date IS NOT NULL GROUP BY period",
        params,
    ).fetchall()
    counts = {label: count for label, count in rows if _valid_label(label, by)}
    return _with_crossings(conn, plan, query, by, counts), None, None


def _with_crossings(
    conn: sqlite3.Connection, plan: Plan, query: Query, by: str, counts: dict[str, int]
) -> dict[str, int]:
    if not crosscut.applies(query):
        return counts
    crossings, others = crosscut.find(conn, plan, query)
    ids = [c.segment_id for c in (*crossings, *others)]
    if not ids:
        return counts
    rows = conn.execute(
        f"SELECT substr(se.date, 1, {_LABEL_LENGTH[by]}) AS period, count(*) FROM segments s "
        "JOIN sessions se ON se.id = s.session_id WHERE s.id IN (SELECT value FROM json_each(?)) "
        "AND se.status = 'published' AND se.date IS NOT NULL GROUP BY period",
        ("[" + ",".join(str(int(i)) for i in ids) + "]",),
    ).fetchall()
    total = dict(counts)
    for label, count in rows:
        if _valid_label(label, by) and counts.get(label, 0) <= crosscut.TOTAL_LIMIT:
            total[label] = total.get(label, 0) + count
    return total


def _where(plan: Plan) -> tuple[str, tuple]:
    where = ["segments_fts MATCH ?", plan.where]
    params: list = [plan.match, *plan.params]
    for ids, operator in ((plan.scope, "IN"), (plan.allowed, "IN"), (plan.excluded or None, "NOT IN")):
        if ids is not None:
            where.append(f"se.id {operator} (SELECT value FROM json_each(?))")
            params.append("[" + ",".join(str(int(i)) for i in ids) + "]")
    return " AND ".join(where), tuple(params)


def _valid_label(label: str | None, by: str) -> bool:
    if not label or len(label) != _LABEL_LENGTH[by]:
        return False
    year, _, month = label.partition("-")
    return year.isdigit() and (by == "year" or (month.isdigit() and 1 <= int(month) <= 12))


def _periods(by: str, labels: list[str]) -> tuple[TrendPeriod, ...]:
    """Every period from the first to the last with a match (those between with none are there as 0)."""
    if not labels:
        return ()
    first, last = min(labels), max(labels)
    if by == "year":
        return tuple(
            TrendPeriod(str(y), f"{y:04d}-01-01", f"{y:04d}-12-31") for y in range(int(first), int(last) + 1)
        )
    periods = []
    year, month = int(first[:4]), int(first[5:])
    while f"{year:04d}-{month:02d}" <= last:
        days = calendar.monthrange(year, month)[1]
        label = f"{year:04d}-{month:02d}"
        periods.append(TrendPeriod(label, f"{label}-01", f"{label}-{days:02d}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(periods)
