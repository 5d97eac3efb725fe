"""Values every writer checks the same way, whoever writes them (ingest, staff edits, corrections, search filters).

* ``parse_date``/``check_date``: a real calendar date written ``YYYY-MM-DD``.
* ``clean_segment_text``: a segment's words as stored; control characters become spaces, one for one, so the
  character offsets of the segment's word timings (``marks``) stay true.
"""

from __future__ import annotations

import re
from datetime import date

from catalog.errors import CatalogError

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_date(value: object) -> date | None:
    """The date ``value`` writes as ``YYYY-MM-DD``; ``None`` when it is not one (``2024-02-30``, ``18/01/2024``)."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def check_date(value: str | None, what: str = "date") -> str | None:
    """``None`` or a real calendar date written ``YYYY-MM-DD``; anything else is a ``CatalogError`` on ``what``."""
    if value is None:
        return None
    if parse_date(value) is None:
        raise CatalogError(f"{value!r} is not a real date written YYYY-MM-DD", field=what)
    return value


def clean_segment_text(text: str) -> str:
    """``"a\\x01b"`` → ``"a b"``: every control character (tab and line breaks too) becomes one space."""
    return _CONTROL.sub(" ", text) if _CONTROL.search(text) else text
