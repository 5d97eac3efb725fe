"""A term trend as the site, the API and the command line show it: the bar chart's geometry (an SVG drawn by
the template, no script), the data table, CSV and JSON, each count with the link to the search it counts.

Plain module (no web framework): the command line imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from catalog import Trend, TrendPeriod, TrendRequest
from web.bulk import csv_text

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 44
MAX_LABELS = 12  # period labels under the axis, at most
FILTERS = ("event", "speaker", "topic")
MAX_TERM_LENGTH = 500  # as a search query
CSV_COLUMNS = ("term", "period", "since", "until", "count", "search_url")


@dataclass(frozen=True)
class Bar:
    term: str
    period: str
    count: int
    href: str
    x: float
    y: float
    width: float
    height: float
    series: int  # which term: its colour is the stylesheet's ``.series-N``


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    labels: tuple[tuple[float, str], ...]  # (x, period) under the axis
    ticks: tuple[tuple[float, int], ...]  # (y, count) beside the axis
    baseline: float
    column: float  # the width of one period's column


def trend_request(params: Mapping, terms: list[str]) -> tuple[TrendRequest, dict[str, str]]:
    """The trend a query string asks for: ``q`` (repeated, up to five), ``by``, ``event``, ``speaker``, ``topic``."""
    filters = {k: (params.get(k) or "").strip()[:200] for k in FILTERS}
    filters = {k: v for k, v in filters.items() if v}
    by = (params.get("by") or "year").strip()
    terms = [t[:MAX_TERM_LENGTH] for t in terms if t and t.strip()]
    return TrendRequest(tuple(terms), by=by, **filters), filters


def search_link(term: str, period: TrendPeriod, filters: dict[str, str], site: str = "") -> str:
    """The search whose total is this count: the term as typed (``correct=0``: trends count the words given,
    never a correction of them), the same filters, the period's first and last day."""
    params = {
        "q": term,
        **{k: v for k, v in filters.items() if v},
        "since": period.since,
        "until": period.until,
        "correct": "0",
    }
    return f"{site}/search?{urlencode(params)}"


def chart(trend: Trend, filters: dict[str, str]) -> Chart:
    periods, series = trend.periods, trend.series
    most = max([c for s in series for c in s.counts] or [0])
    tick = max(1, -(-most // 4))  # whole-number ticks, at most five
    top = tick * -(-most // tick)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    column = plot_w / max(len(periods), 1)
    bar_w = column * 0.8 / max(len(series), 1)
    baseline = TOP + plot_h
    bars = []
    for p_index, period in enumerate(periods):
        for s_index, line in enumerate(series):
            count = line.counts[p_index]
            height = plot_h * count / top if top else 0.0
            x = LEFT + p_index * column + column * 0.1 + s_index * bar_w
            link = search_link(line.term, period, filters)
            bars.append(
                Bar(line.term, period.label, count, link, x, baseline - height, bar_w, height, s_index)
            )
    step = max(1, -(-len(periods) // MAX_LABELS))
    labels = tuple((LEFT + i * column + column / 2, p.label) for i, p in enumerate(periods) if i % step == 0)
    ticks = (
        tuple((baseline - plot_h * n / top, n) for n in range(0, top + 1, tick)) if top else ((baseline, 0),)
    )
    return Chart(WIDTH, HEIGHT, tuple(bars), labels, ticks, baseline, column)


def trend_dict(trend: Trend, filters: dict[str, str], site: str = "") -> dict:
    """The one published JSON shape of a trend (``/api/trends`` and ``trends --json``)."""
    return {
        "by": trend.by,
        "filters": {k: v for k, v in filters.items() if v},
        "message": trend.message,
        "periods": [{"label": p.label, "since": p.since, "until": p.until} for p in trend.periods],
        "series": [
            {
                "term": s.term,
                "total": s.total,
                "message": s.message,
                "points": [
                    {"period": p.label, "count": count, "search_url": search_link(s.term, p, filters, site)}
                    for p, count in zip(trend.periods, s.counts, strict=True)
                ],
            }
            for s in trend.series
        ],
    }


def trend_csv(trend: Trend, filters: dict[str, str], site: str = "") -> str:
    rows = (
        [s.term, p.label, p.since, p.until, count, search_link(s.term, p, filters, site)]
        for s in trend.series
        for p, count in zip(trend.periods, s.counts, strict=True)
    )
    return csv_text(CSV_COLUMNS, rows)


def trend_text(trend: Trend) -> str:
    """A plain table: one row per period, one column per term."""
    if trend.message and not trend.periods:
        return trend.message
    if not trend.periods:
        return "Nothing was found for " + ", ".join(repr(s.term) for s in trend.series) + "."
    names = [s.term for s in trend.series]
    widths = [max(len(n), 6) for n in names]
    lines = ["period   " + "  ".join(n.rjust(w) for n, w in zip(names, widths, strict=True))]
    for i, period in enumerate(trend.periods):
        cells = "  ".join(str(s.counts[i]).rjust(w) for s, w in zip(trend.series, widths, strict=True))
        lines.append(f"{period.label:<8} {cells}")
    totals = "  ".join(str(s.total).rjust(w) for s, w in zip(trend.series, widths, strict=True))
    lines.append(f"{'total':<8} {totals}")
    if trend.message:
        lines.append(trend.message)
    return "\n".join(lines)
