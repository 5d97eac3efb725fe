"""What a server process does once, before it takes its first request: size its thread pool, warm the catalog.

- **Threads.** Sync routes (every search, every page) run on the event loop's thread pool, and each thread opens
  its own catalog connection (``web/catalogs.py``) with a page cache of up to 64 MiB: memory per worker grows with
  the threads in use (at 1M segments under 32 clients: 4 threads ~370 MiB, 8 ~550, 16 ~800). ``THREADS`` caps
  them below AnyIO's 40. Fewer would save memory but, on a machine shared with other work, cost throughput: with
  4 a worker kept fewer threads runnable and got a smaller share of the cores (43–48 req/s against 67–76 with 16
  or 40, paired runs; docs/benchmarks.md, "Serving").
- **Warm-up.** The catalog reads some things once per process on first use, the typo vocabulary above all
  (every word of the archive: ~1.7 s at 1M segments). Read by the first requests instead, under load every
  thread that got a misspelt word read it at once while the others queued: 12 requests answered in the first
  14 s. A search for a word no archive holds reads it here, before the worker accepts connections.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import anyio.to_thread

from catalog import Catalog, CatalogError, SearchRequest

THREADS = 16
# a word of letters only that no transcript says: correcting it makes the catalog read its typo vocabulary
WARM_UP_QUERY = "qzxjvkwq"
log = logging.getLogger(__name__)


def limit_threads(threads: int = THREADS) -> None:
    """Threads this process may run sync routes on at once (call from the event loop, at startup)."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads


def warm_up(catalog_path: Path | str) -> float | None:
    """Load the catalog's once-per-process data; the seconds it took, or ``None`` when the catalog cannot be
    opened (the first request then answers the error, as it would have)."""
    started = time.perf_counter()
    on_file = not str(catalog_path).startswith(("postgresql:", "postgres:"))
    if (
        on_file and not Path(catalog_path).exists()
    ):  # nothing to warm, and nothing is created before it is needed
        return None
    try:
        catalog = Catalog.open(catalog_path)
    except CatalogError as exc:
        log.warning("catalog warm-up skipped: %s", exc)
        return None
    try:
        catalog.search(SearchRequest(query=WARM_UP_QUERY, limit=1))
    except CatalogError as exc:  # e.g. a catalog that cannot search yet: the requests will say so
        log.warning("catalog warm-up stopped: %s", exc)
        return None
    finally:
        catalog.close()
    return time.perf_counter() - started


async def prepare_process(catalog_path: Path | str) -> None:
    limit_threads(THREADS)
    await anyio.to_thread.run_sync(warm_up, catalog_path)
