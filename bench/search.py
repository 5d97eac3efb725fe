"""Search contenders, side by side on the same archive. Each takes a ``Query`` and returns the ids (or lines) found.

- ``catalog``: ``Catalog.search`` in-process, what the site and the command call.
- ``api``: ``GET /api/search`` over HTTP on 127.0.0.1 (uvicorn serving ``create_app``), one keep-alive client.
- ``raw SQL``: the engine's limit: the same FTS5 MATCH, bm25 order, LIMIT 20, with a snippet; nothing else.
- ``datasette``: Datasette serving the same file, ``segments.json?_search=`` (its raw FTS mode, so the same
  expression runs; Datasette returns the first 20 matches by id, not by relevance, plus a count).
- ``ripgrep``: ``rg`` over the folder of .vtt caption files, as a technical user would grep them.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import httpx

from bench.queries import Query

RAW_SQL = """
SELECT s.id, s.session_id, s.start, snippet(segments_fts, 0, '<mark>', '</mark>', '…', 12)
FROM segments_fts JOIN segments s ON s.id = segments_fts.rowid
WHERE segments_fts MATCH ? {filter}
ORDER BY rank LIMIT 20
"""


class CatalogSearch:
    name = "catalog"

    def __init__(self, db_path: Path):
        from catalog import Catalog, SearchRequest

        self.catalog = Catalog.open(db_path)
        # what a server worker does before it takes its first request (``web/worker_start.py``: the typo
        # vocabulary, and with it every archive word's token), so that this is the catalog as it is served
        from web.worker_start import WARM_UP_QUERY

        self.catalog.search(SearchRequest(query=WARM_UP_QUERY, limit=1))

    def __call__(self, query: Query) -> list[int]:
        from catalog import SearchRequest

        results = self.catalog.search(SearchRequest(query=query.user, limit=20, speaker=query.speaker))
        return [hit.segment_id for hit in results.hits]

    def close(self) -> None:
        self.catalog.close()


class ApiSearch:
    name = "api"

    def __init__(self, base_url: str):
        # no-cache: the server searches anew instead of answering a repeated query from its cache, so that
        # this column measures the search (the load test measures the cache).
        self.client = httpx.Client(base_url=base_url, timeout=120, headers={"Cache-Control": "no-cache"})

    def __call__(self, query: Query) -> list[int]:
        params = {"q": query.user, "limit": 20}
        if query.speaker:
            params["speaker"] = query.speaker
        response = self.client.get("/api/search", params=params)
        if response.status_code != 200:
            raise RuntimeError(f"/api/search {params}: HTTP {response.status_code} {response.text[:200]}")
        return [hit.get("segment_id", i) for i, hit in enumerate(response.json()["results"])]

    def close(self) -> None:
        self.client.close()


class RawSearch:
    name = "raw SQL"

    def __init__(self, db_path: Path):
        self.conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        self.conn.execute("PRAGMA cache_size = -65536")  # the catalog's own setting

    def __call__(self, query: Query) -> list[int]:
        if query.speaker_id is None:
            rows = self.conn.execute(RAW_SQL.format(filter=""), (query.fts,)).fetchall()
        else:
            sql = RAW_SQL.format(filter="AND s.speaker_id = ?")
            rows = self.conn.execute(sql, (query.fts, query.speaker_id)).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self.conn.close()


class DatasetteSearch:
    name = "datasette"

    def __init__(self, base_url: str, database: str):
        self.client = httpx.Client(base_url=base_url, timeout=120)
        self.path = f"/{database}/segments.json"

    def __call__(self, query: Query) -> list[int]:
        params = {"_search": query.fts, "_searchmode": "raw", "_size": 20, "_shape": "objects"}
        if query.speaker_id is not None:
            params["speaker_id"] = query.speaker_id
        response = self.client.get(self.path, params=params)
        if response.status_code != 200:
            raise RuntimeError(f"datasette {params}: HTTP {response.status_code} {response.text[:200]}")
        found = response.json()
        if "search matches" not in found.get("human_description_en", ""):
            raise RuntimeError("datasette ignored _search (no full-text table configured for segments)")
        return [row["id"] for row in found["rows"]]

    def close(self) -> None:
        self.client.close()


class RipgrepSearch:
    name = "ripgrep"

    def __init__(self, folder: Path):
        self.rg = shutil.which("rg")
        if not self.rg:
            raise RuntimeError("ripgrep is not installed: apt-get install -y ripgrep")
        self.folder = folder

    def __call__(self, query: Query) -> list[int]:
        command = [self.rg, "--no-config", "--no-heading", "-n", *query.rg, str(self.folder)]
        result = subprocess.run(command, capture_output=True)
        if result.returncode > 1:
            raise RuntimeError(f"rg {query.rg}: {result.stderr.decode()[:200]}")
        return list(range(result.stdout.count(b"\n")))

    def close(self) -> None:
        pass


def agreement(ours: list[int], engine: list[int]) -> float:
    """Share of the engine's top 20 that ours also returns (1.0 = the same results)."""
    if not engine:
        return 1.0 if not ours else 0.0
    return len(set(ours) & set(engine)) / len(engine)


def rg_version() -> str:
    rg = shutil.which("rg")
    if not rg:
        return "absent"
    return subprocess.run([rg, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
