"""What a server process does once, before it takes its first request: size its thread pools, warm the catalog.

- **Threads.** Sync routes (every page) run on the event loop's thread pool, and each thread opens its own catalog
  connection (``web/catalogs.py``) with a page cache of up to 64 MiB: memory per worker grows with the threads in
  use. ``THREADS`` caps them below AnyIO's 40.
- **Searches.** ``/api/search`` runs its searches on the same pool but at most ``SEARCH_THREADS`` at once per
  process, the others waiting their turn in arrival order (``search_limiter``). A search is CPU work under the
  GIL (SQLite lets it go while it steps a statement, and takes it back for every row): 16 searches at once in one
  process cost ~15% more CPU each than one at a time (GIL hand-overs, ~40 context switches a request against
  ~10, connections with colder page caches), and each took 16 times its own time, so the slowest searches made a
  tail of over a second under 32 clients. One at a time, a search waits behind the searches that came before it
  and then runs alone: less CPU per request, a shorter tail, ~180 MiB a worker instead of ~800 at 1M segments
  (docs/benchmarks.md, "Serving"). With one worker process per core (``serve --workers N``) the cores are used
  all the same.
- **A slow search does not hold up the queue.** A search that has used ``SLOW_AFTER`` seconds of CPU lets the
  next one start beside it (up to ``MOST_SEARCHES`` at once): one search of a phrase of very common words
  (``"the the of"``: ~220 ms of CPU at 1M segments) otherwise held the 15 requests queued behind it for all of
  that time, and those made the p99 under 32 clients. Beside it they share the core (and the GIL) with it, each
  taking about twice its own time instead of waiting for the whole of it.
- **Warm-up.** The catalog reads some things once per process on first use, the typo vocabulary above all
  (every word of the archive: ~1.7 s at 1M segments). Read by the first requests instead, under load every
  thread that got a misspelt word read it at once while the others queued: 12 requests answered in the first
  14 s. A search for a word no archive holds reads it here, before the worker accepts connections;
  with it the catalog learns every archive word's token (``impact.learn``), so searches and their snippets
  ask FTS5's tokenizer nothing for the archive's own words.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import anyio.to_thread
from anyio.lowlevel import RunVar

from catalog import Catalog, CatalogError, SearchRequest

THREADS = 16
SEARCH_THREADS = 1  # searches running at once per process (the rest queue, first come first served)...
SLOW_AFTER = 0.025  # ...but a search that used this much CPU (seconds) lets the next one start beside it...
MOST_SEARCHES = 3  # ...up to this many at once
# a word of letters only that no transcript says: correcting it makes the catalog read its typo vocabulary
WARM_UP_QUERY = "qzxjvkwq"
log = logging.getLogger(__name__)
T = TypeVar("T")
_search_limiter: RunVar[anyio.CapacityLimiter] = RunVar("search_limiter")


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


def search_limiter() -> anyio.CapacityLimiter:
    """The limiter of searches at once of the running event loop (one per server process; AnyIO wakes its waiters
    first come, first served), made on first use."""
    try:
        return _search_limiter.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(SEARCH_THREADS)
        _search_limiter.set(limiter)
        return limiter


async def run_search(work: Callable[[], T]) -> T:
    """``work()`` (a search and what is made of it) on a pool thread, after the searches queued before it; once it
    has used ``SLOW_AFTER`` seconds of CPU, it lets the next one start."""
    limiter = search_limiter()
    async with limiter:
        loop = asyncio.get_running_loop()
        clock: list[int] = []  # the CPU clock of the thread that runs it, once it runs
        started: list[float] = []
        widened = False

        def timed() -> T:
            clock.append(time.pthread_getcpuclockid(threading.get_ident()))
            started.append(time.clock_gettime(clock[0]))
            return work()

        def widen() -> None:  # on the event loop, every SLOW_AFTER seconds of wall time until it widened
            nonlocal widened, timer
            used = time.clock_gettime(clock[0]) - started[0] if started else 0.0
            if used < SLOW_AFTER:  # waiting for a core or the GIL is not slowness: look again later
                timer = loop.call_later(SLOW_AFTER - used, widen)
            elif limiter.total_tokens < MOST_SEARCHES:
                limiter.total_tokens += 1
                widened = True

        timer = loop.call_later(SLOW_AFTER, widen)
        try:
            return await anyio.to_thread.run_sync(timed)
        finally:
            timer.cancel()
            if widened:  # its extra turn ends with it (the searches it let in finish theirs)
                limiter.total_tokens -= 1


async def prepare_process(catalog_path: Path | str) -> None:
    limit_threads(THREADS)
    await anyio.to_thread.run_sync(warm_up, catalog_path)
