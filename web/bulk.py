"""Search results in bulk: every moment a search finds as CSV rows, for ``/search.csv`` and ``search --csv``.

Plain module (no web framework): the command line imports it. Cells a spreadsheet would read as a formula (text
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import replace

from catalog import Catalog, SearchRequest
from web.published import hit_url, published

MAX_ROWS = 10_000  # a search as CSV holds at most this many moments (the search's own order)
PAGE = 100  # the search's largest page
COLUMNS = ("session_id", "session_title", "session_date", "start", "end", "speaker", "text", "url")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """``value`` as a CSV cell no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: Iterable, rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in header])
    writer.writerows([safe_cell(c) for c in row] for row in rows)
    return out.getvalue()


def search_rows(
    catalog: Catalog, request: SearchRequest, site: str = "", rows: int = MAX_ROWS
) -> Iterator[list]:
    """The moments of ``request`` from its offset on, at most ``rows`` (and ``MAX_ROWS``), in the search's order;
    each with its moment link (``site`` before it when given)."""
    wanted = min(max(int(rows), 0), MAX_ROWS)
    offset = max(int(request.offset or 0), 0)
    while wanted > 0:
        page = published(catalog.search(replace(request, limit=min(PAGE, wanted), offset=offset)))
        for hit in page.hits:
            link = site + hit_url(hit.session_id, hit.start)
            yield [
                hit.session_id,
                hit.session_title,
                hit.session_date,
                hit.start,
                hit.end,
                hit.speaker,
                hit.text,
                link,
            ]
        if len(page.hits) < min(PAGE, wanted):
            return
        wanted -= len(page.hits)
        offset += len(page.hits)


def search_csv(catalog: Catalog, request: SearchRequest, site: str = "", rows: int = MAX_ROWS) -> str:
    return csv_text(COLUMNS, search_rows(catalog, request, site, rows))
