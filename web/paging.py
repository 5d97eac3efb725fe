"""Page numbers from the query string, and the links of a pager."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

MAX_PAGE = 10_000


def page_number(raw: str | None) -> int:
    """``?page=`` as a number from 1; anything else (``abc``, ``-3``, ``1e9``) means page 1."""
    text = (raw or "").strip()
    if not re.fullmatch(r"[0-9]{1,6}", text):
        return 1
    return min(max(int(text), 1), MAX_PAGE)


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    total: int
    path: str
    params: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_item(self) -> int:
        return min(self.total, (self.number - 1) * self.size + 1)

    @property
    def last_item(self) -> int:
        return min(self.total, self.number * self.size)

    def url(self, number: int) -> str:
        params = {k: v for k, v in self.params.items() if v}
        if number > 1:
            params["page"] = str(number)
        return self.path + ("?" + urlencode(params) if params else "")

    @property
    def previous_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.pages else None
