"""The statements a catalog runs: its connections opened through a recording ``sqlite3.connect``, then traced."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from catalog import Catalog


def open_traced(path: Path, monkeypatch) -> tuple[Catalog, list[sqlite3.Connection]]:
    """The catalog at ``path`` and every connection its opening made (the standard library's ``sqlite3.connect``
    is recorded for the opening only)."""
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", connect)
    try:
        catalog = Catalog.open(path)
    finally:
        monkeypatch.setattr(sqlite3, "connect", real_connect)
    return catalog, opened


@contextmanager
def statements(connections: list[sqlite3.Connection]) -> Iterator[list[str]]:
    """Every statement the connections run inside the block (FTS5's own reads prefixed ``--``), in order."""
    seen: list[str] = []
    for conn in connections:
        conn.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        for conn in connections:
            conn.set_trace_callback(None)
