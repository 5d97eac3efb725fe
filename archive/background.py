"""Running a URL ingest or a retry in a background thread, for the web staff area's "paste a URL" and "retry".

``start_url_ingest`` checks the URL and queues it as an item at once (its id comes back), then fetches it in a
thread with its own catalog connection. ``start_retry`` does the same for a failed item (only a failed item can
be retried: ``Conflict`` otherwise). The caller polls ``catalog.queue.get(item_id)``:
``pending`` -> ``running`` -> ``done`` (with ``session_id``) or ``failed`` (with ``last_error``); entries of a
playlist or channel appear as items whose ``parent_url`` is the URL.
"""

from __future__ import annotations

import threading
from pathlib import Path

from archive.options import IngestOptions
from archive.queue import retry
from archive.remote import item_options, run_request
from archive.ytdlp import check_fetch_url
from catalog import Catalog, Conflict, Item, NotFound


def start_url_ingest(
    catalog_path: Path, data_dir: Path, url: str, options: IngestOptions
) -> tuple[int, threading.Thread]:
    """Queue ``url`` and fetch it in a new thread; returns (item id, thread). Bad URLs raise at once."""
    check_fetch_url(url, options.downloader, allow_private=options.allow_private)
    catalog = Catalog.open(catalog_path)
    try:
        item = catalog.queue.upsert(url, url, options=item_options(options))
        catalog.queue.mark_pending([item.id])
    finally:
        catalog.close()
    thread = threading.Thread(
        target=_run, args=(catalog_path, data_dir, item.id, options), name=f"ingest-{item.id}", daemon=True
    )
    thread.start()
    return item.id, thread


def _run(catalog_path: Path, data_dir: Path, item_id: int, options: IngestOptions) -> None:
    catalog = Catalog.open(catalog_path)
    try:
        item = catalog.queue.get(item_id)
        if item is not None:
            run_request(catalog, data_dir, item, options)
    except Exception as exc:  # noqa: BLE001 - a thread has no caller to raise to: record it on the item
        catalog.queue.mark_failed(item_id, f"{type(exc).__name__}: {exc}")
    finally:
        catalog.close()


def start_retry(
    catalog_path: Path, data_dir: Path, item_id: int, options: IngestOptions
) -> tuple[Item, threading.Thread]:
    """Put the failed item back in the queue and run it again in a new thread; returns (item, thread).

    ``NotFound`` if there is no such item, ``Conflict`` unless it failed: only a failed item is retried.
    """
    catalog = Catalog.open(catalog_path)
    try:
        item = catalog.queue.get(item_id)
        if item is None:
            raise NotFound(f"no ingest item {item_id}")
        if item.state != "failed":
            raise Conflict(f"item {item_id} is {item.state}: only a failed item can be retried")
        catalog.queue.mark_pending([item_id])
    finally:
        catalog.close()
    thread = threading.Thread(
        target=_retry, args=(catalog_path, data_dir, item_id, options), name=f"retry-{item_id}", daemon=True
    )
    thread.start()
    return item, thread


def _retry(catalog_path: Path, data_dir: Path, item_id: int, options: IngestOptions) -> None:
    catalog = Catalog.open(catalog_path)
    try:
        retry(catalog, data_dir, [item_id], options)
    except Exception as exc:  # noqa: BLE001 - a thread has no caller to raise to: record it on the item
        catalog.queue.mark_failed(item_id, f"{type(exc).__name__}: {exc}")
    finally:
        catalog.close()
