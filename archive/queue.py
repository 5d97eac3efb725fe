"""Keeping playlists and channels in sync, and retrying what failed.

``sync`` lists a playlist or channel (cheaply: entries as references), queues entries never seen, and fetches
those, the interrupted and due failed ones, and the newest few already done (to refresh their metadata; their
kept caption files are not downloaded again). ``retry`` runs failed items again. ``status`` counts items by state
and lists failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archive import transcription
from archive.errors import ArchiveError
from archive.options import Failure, IngestOptions, IngestResult, Progress, ProgressEvent
from archive.remote import ingest_listing, is_playlist, options_for, process_item, run_request
from archive.retries import retrying
from archive.ytdlp import Fetcher, check_fetch_url
from catalog import Catalog, Item

UPLOAD_PREFIX = "upload:"  # the key of an uploaded file's item (archive/jobs.py)


@dataclass(frozen=True)
class Status:
    counts: dict[str, int]
    failures: list[Item]
    running: list[Item]


def sync(
    catalog: Catalog, data_dir: Path, url: str, options: IngestOptions, progress: Progress | None = None
) -> IngestResult:
    """Fetch what is new in the playlist or channel at ``url``; safe to interrupt and run again."""
    check_fetch_url(url, options.downloader, allow_private=options.allow_private)
    fetcher = Fetcher(options.downloader, allow_private=options.allow_private)
    listing = retrying(options.retry, fetcher.listing, url)
    if not is_playlist(listing):
        raise ArchiveError(f"{url}: not a playlist or channel; use `uscm-archive ingest {url}` for one video")
    entries = len(listing.get("entries") or ())
    _report(progress, ProgressEvent(0, 0, message=f"{listing.get('title') or url}: {entries} entries"))
    result = ingest_listing(catalog, data_dir, url, listing, fetcher, options, progress, only_new=True)
    catalog.queue.record_sync(url, options={"languages": list(options.url_languages)}, count=entries)
    return result


def retry(
    catalog: Catalog,
    data_dir: Path,
    item_ids: list[int] | None,
    options: IngestOptions,
    progress: Progress | None = None,
) -> IngestResult:
    """Run failed items again: the ones named, or (``None``) every failed item, due or not."""
    targets = _targets(catalog, item_ids)
    fetcher = Fetcher(options.downloader, allow_private=options.allow_private)
    result = IngestResult()
    for number, item in enumerate(targets):
        _report(progress, ProgressEvent(number, len(targets), item.title or item.url))
        if catalog.queue.is_transcription(item):  # a transcription on the queue: run it again, not a fetch
            again = transcription.TranscribeOptions(files=options.files)  # the media in the same store
            result.extend(transcription.retry_job(catalog, data_dir, item, again))
            continue
        if item.key.startswith(UPLOAD_PREFIX):  # its file came with the request that failed: nothing to fetch
            result.failures.append(
                Failure(item.url, "an upload is retried by uploading the file again", item.id)
            )
            continue
        item_options = options_for(item, options)
        if item.parent_url is None and item.key == item.url:  # a URL as asked: may be a playlist
            result.extend(run_request(catalog, data_dir, item, item_options, progress))
        else:
            result.extend(process_item(catalog, data_dir, item, fetcher, item_options, progress))
    return result


def status(catalog: Catalog) -> Status:
    return Status(
        counts=catalog.queue.count_by_state(),
        failures=catalog.queue.list(states=("failed",)),
        running=catalog.queue.list(states=("running", "pending")),
    )


def _targets(catalog: Catalog, item_ids: list[int] | None) -> list[Item]:
    if item_ids is None:
        return catalog.queue.list(states=("failed",))
    targets = []
    for item_id in item_ids:
        item = catalog.queue.get(item_id)
        if item is None:
            raise ArchiveError(f"no item with id {item_id} (see `uscm-archive status`)")
        targets.append(item)
    return targets


def _report(progress: Progress | None, event: ProgressEvent) -> None:
    if progress is not None:
        progress(event)
