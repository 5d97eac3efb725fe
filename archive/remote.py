"""URLs through yt-dlp: one video, or every entry of a playlist or channel, each tracked as an item.

An item (``catalog.queue``) is ``pending`` until fetched, ``running`` while fetched, then ``done`` or ``failed``
with its error, attempt count and, for a rate limit, when to try again. Caption state is kept per language:
a caption that could not be fetched fails the item (it is retried later) instead of passing as "no captions".
One failing entry never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.errors import ArchiveError, FetchError
from archive.metadata import clean_title, source_key
from archive.options import Failure, IngestOptions, IngestResult, Progress, ProgressEvent, RetryPolicy
from archive.retries import retrying
from archive.saving import save_fetched
from archive.sessions import build_session
from archive.ytdlp import Fetcher, check_fetch_url
from catalog import Catalog, Item


@dataclass(frozen=True)
class Entry:
    """One entry of a playlist or channel listing: ``info`` is set when the listing already holds it whole."""

    key: str
    url: str
    title: str | None
    info: dict | None = None


def ingest_url(
    catalog: Catalog, data_dir: Path, url: str, options: IngestOptions, progress: Progress | None = None
) -> IngestResult:
    """Ingest one URL: a video becomes a session; a playlist or channel, one session per entry."""
    check_fetch_url(url, options.downloader, allow_private=options.allow_private)
    request = catalog.queue.upsert(url, url, options=item_options(options))
    return run_request(catalog, data_dir, request, options, progress)


def run_request(
    catalog: Catalog,
    data_dir: Path,
    request: Item,
    options: IngestOptions,
    progress: Progress | None = None,
    *,
    only_new: bool = False,
) -> IngestResult:
    """Fetch the URL of ``request`` and ingest what it holds (``only_new``: skip entries already done)."""
    fetcher = Fetcher(options.downloader, allow_private=options.allow_private)
    catalog.queue.mark_running(request.id)
    try:
        listing = retrying(options.retry, fetcher.listing, request.url)
    except Exception as exc:  # noqa: BLE001 - whatever went wrong is recorded on the item
        return _failed(catalog, request, exc, options.retry)
    if not is_playlist(listing):
        return process_item(
            catalog, data_dir, request, fetcher, options, progress, info=listing, started=True
        )
    result = ingest_listing(
        catalog, data_dir, request.url, listing, fetcher, options, progress, only_new=only_new
    )
    catalog.queue.mark_done(request.id, session_id=None, title=listing.get("title"))
    return result


def ingest_listing(
    catalog: Catalog,
    data_dir: Path,
    parent_url: str,
    listing: dict,
    fetcher: Fetcher,
    options: IngestOptions,
    progress: Progress | None,
    *,
    only_new: bool,
) -> IngestResult:
    """Queue every entry as an item (so an interrupted run resumes), then fetch those that need it."""
    entries = playlist_entries(listing)
    known = catalog.queue.states_from(parent_url)
    queue: list[tuple[Item, Entry]] = []
    skipped = 0
    for position, entry in enumerate(entries):
        item = catalog.queue.upsert(
            entry.key,
            entry.url,
            parent_url=parent_url,
            title=entry.title,
            options=item_options(options),
        )
        if not only_new or _wanted(item, known.get(entry.key), position, options.refresh_newest):
            queue.append((item, entry))
        else:
            skipped += 1
    result = IngestResult(skipped=skipped)
    for number, (item, entry) in enumerate(queue):
        _report(progress, ProgressEvent(number, len(queue), entry.title or entry.url))
        result.extend(process_item(catalog, data_dir, item, fetcher, options, progress, info=entry.info))
    return result


def _wanted(item: Item, state: str | None, position: int, refresh_newest: int) -> bool:
    """Sync fetches new, interrupted and due failed entries, and refreshes the newest few already done."""
    if state in (None, "pending", "running"):
        return True
    if state == "failed":
        return item.next_attempt_at is None or item.next_attempt_at <= _now()
    return position < refresh_newest


def process_item(
    catalog: Catalog,
    data_dir: Path,
    item: Item,
    fetcher: Fetcher,
    options: IngestOptions,
    progress: Progress | None = None,
    *,
    info: dict | None = None,
    started: bool = False,
) -> IngestResult:
    """Fetch one video (metadata, captions, media if asked), store its session, and record the item's state."""
    if not started:
        catalog.queue.mark_running(item.id)
    try:
        info = info or entry_info(fetcher, item, options.retry)
        on_percent = _percent_reporter(progress, clean_title(info))
        fetched, captions, caption_error = build_session(
            catalog, data_dir, info, fetcher, options, on_percent
        )
        stored = save_fetched(catalog, data_dir, fetched, options.by, options.files)
    except Exception as exc:  # noqa: BLE001 - one bad entry never stops a channel
        return _failed(catalog, item, exc, options.retry)
    catalog.queue.set_captions(item.id, captions)
    if caption_error is None:
        catalog.queue.mark_done(item.id, session_id=stored.session_id, title=stored.title)
        return IngestResult(sessions=[stored])
    failed = _failed(
        catalog, item, caption_error, options.retry, session_id=stored.session_id, title=stored.title
    )
    failed.sessions.append(stored)
    return failed


def entry_info(fetcher: Fetcher, item: Item, policy: RetryPolicy) -> dict:
    """The full info dict of an item's video; for an entry of a page with several videos, the matching one."""
    info = retrying(policy, fetcher.info, item.url)
    if not is_playlist(info):
        return info
    for position, entry in enumerate(info.get("entries") or (), start=1):
        if entry and source_key({"playlist_index": position, **entry}) == item.key:
            return {"playlist_index": position, **entry}
    raise ArchiveError(f"{item.url}: the entry {item.key} is no longer there")


def is_playlist(info: dict) -> bool:
    return info.get("_type") in ("playlist", "multi_video")


def playlist_entries(listing: dict) -> list[Entry]:
    entries = []
    for position, raw in enumerate(listing.get("entries") or (), start=1):
        if not isinstance(raw, dict):
            continue
        if raw.get("_type") in ("url", "url_transparent"):
            ie = str(raw.get("ie_key") or "").lower()
            key = f"{ie}:{raw['id']}" if ie and raw.get("id") else f"url:{raw['url']}"
            entries.append(Entry(key, raw["url"], raw.get("title")))
        else:
            info = {"playlist_index": position, **raw}
            url = info.get("webpage_url") or info.get("original_url") or listing.get("webpage_url")
            entries.append(Entry(source_key(info), url, info.get("title"), info))
    return entries


def item_options(options: IngestOptions) -> dict:
    return {"languages": list(options.url_languages), "media": options.media}


def options_for(item: Item, options: IngestOptions) -> IngestOptions:
    """The options an item was first asked with (languages, media), unless the caller gives others."""
    languages = options.languages or tuple(item.options.get("languages") or ())
    return replace(options, languages=languages, media=options.media or bool(item.options.get("media")))


def _failed(
    catalog: Catalog,
    item: Item,
    exc: BaseException,
    policy: RetryPolicy,
    *,
    session_id: int | None = None,
    title: str | None = None,
) -> IngestResult:
    message = str(exc) if isinstance(exc, ArchiveError) else f"{item.url}: {type(exc).__name__}: {exc}"
    catalog.queue.mark_failed(
        item.id,
        message,
        next_attempt_at=_next_attempt(exc, policy),
        session_id=session_id,
        title=title,
    )
    return IngestResult(failures=[Failure(item.url, message, item.id)])


def _next_attempt(exc: BaseException, policy: RetryPolicy) -> str | None:
    if isinstance(exc, FetchError) and exc.rate_limited:
        wait = exc.retry_after if exc.retry_after is not None else policy.rate_limit_wait
    elif isinstance(exc, FetchError) and exc.transient:
        wait = policy.max_delay
    else:
        return None
    return _now(timedelta(seconds=wait))


def _now(later: timedelta = timedelta()) -> str:
    moment = datetime.now(UTC).replace(microsecond=0) + later
    return moment.isoformat().replace("+00:00", "Z")


def _percent_reporter(progress: Progress | None, title: str | None) -> Callable[[float], None] | None:
    if progress is None:
        return None
    return lambda percent: progress(ProgressEvent(0, 0, title, percent=percent))


def _report(progress: Progress | None, event: ProgressEvent) -> None:
    if progress is not None:
        progress(event)
