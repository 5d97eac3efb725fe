"""The work a node hands to the shared queue, and what a worker does with each kind of job.

Web nodes and commands only enqueue (``queue_url_ingest``, ``queue_retry``, ``queue_sync``,
``queue_transcription``, ``queue_upload``): each checks its input at once (a bad URL, a caption file that does not
parse, a duplicate raise before anything is queued) and puts an ingest item (what the staff progress page shows)
and a job (what a worker takes) in the catalog. ``run(catalog, data_dir, job, context)`` is the worker's side: it
rebuilds the ingest options from the job's payload and runs the archive's own ingest, sync, retry or
transcription. Every kind is safe to run twice (a worker killed half-way is replaced by another that runs the job
again): sessions are saved by source key, so a second run updates the session the first one saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive import storage, transcription
from archive.errors import ArchiveError
from archive.files import file_source_key, parse_caption_bytes
from archive.options import IngestOptions, IngestResult
from archive.pipeline import check_options, ingest_caption_bytes
from archive.queue import UPLOAD_PREFIX, retry, sync
from archive.remote import item_options, run_request
from archive.saving import FetchedMedia
from archive.ytdlp import check_fetch_url
from catalog import Catalog, CatalogError, Conflict, FileStore, Item, Job, NotFound
from transcripts import TranscriptError

KINDS = ("ingest-url", "retry", "sync", "transcribe", "upload")
# IngestOptions fields a job carries (the rest, such as the yt-dlp seam, are the worker's own)
_OPTION_FIELDS = (
    "title",
    "date",
    "event",
    "description",
    "video_url",
    "speakers",
    "topics",
    "languages",
    "draft",
    "media",
    "allow_private",
    "refresh_newest",
    "by",
)


@dataclass(frozen=True)
class WorkerContext:
    """What a worker brings to every job: its yt-dlp seam, its transcription model, the caption size limit."""

    downloader: Callable[[dict], Any] | None = None
    asr_model_dir: Path | None = None
    max_caption_bytes: int | None = None
    files: Any = None  # the catalog.FileStore holding media and raw captions; None: the data folder


def options_payload(options: IngestOptions) -> dict:
    values = {name: getattr(options, name) for name in _OPTION_FIELDS}
    return {name: list(v) if isinstance(v, tuple) else v for name, v in values.items()}


def options_from(payload: dict, context: WorkerContext) -> IngestOptions:
    given = payload.get("options") or {}
    values = {name: given[name] for name in _OPTION_FIELDS if name in given}
    for name in ("speakers", "topics", "languages"):
        if name in values:
            values[name] = tuple(values[name] or ())
    return IngestOptions(**values, downloader=context.downloader, files=context.files)


# -- enqueueing ----------------------------------------------------------------------------------------------
def queue_url_ingest(catalog: Catalog, url: str, options: IngestOptions) -> Item:
    """Check ``url`` and queue it: an item (pending) and its job. Bad URLs raise at once, queuing nothing."""
    check_fetch_url(url, options.downloader, allow_private=options.allow_private)
    item = catalog.queue.upsert(url, url, options=item_options(options))
    catalog.queue.mark_pending([item.id])
    catalog.queue.enqueue_job("ingest-url", {"options": options_payload(options)}, item_id=item.id)
    return item


def queue_retry(catalog: Catalog, item_id: int, options: IngestOptions) -> Item:
    """Put a failed item back (pending) with a job that runs it again; ``Conflict`` unless it failed."""
    item = catalog.queue.get(item_id)
    if item is None:
        raise NotFound(f"no ingest item {item_id}")
    if item.state != "failed":
        raise Conflict(f"item {item_id} is {item.state}: only a failed item can be retried")
    if item.key.startswith(UPLOAD_PREFIX):
        raise Conflict(f"item {item_id} is an upload: upload the file again to retry it")
    catalog.queue.mark_pending([item_id])
    catalog.queue.enqueue_job("retry", {"options": options_payload(options)}, item_id=item_id)
    return item


def queue_sync(catalog: Catalog, url: str, options: IngestOptions) -> Job:
    check_fetch_url(url, options.downloader, allow_private=options.allow_private)
    return catalog.queue.enqueue_job("sync", {"url": url, "options": options_payload(options)})


def queue_transcription(
    catalog: Catalog, data_dir: Path, session_id: int, *, requested_by: str, files: Any = None
) -> Item:
    """Queue the session's transcription (checked first: media archived, no captions) and its job."""
    item = transcription.queue_sessions(
        catalog, data_dir, [session_id], requested_by=requested_by, files=files
    )[0]
    catalog.queue.enqueue_job("transcribe", {}, item_id=item.id, max_attempts=2)
    return item


def queue_upload(
    catalog: Catalog,
    data_dir: Path,
    data: bytes,
    name: str,
    options: IngestOptions,
    *,
    max_bytes: int | None = None,
    media: FetchedMedia | None = None,
) -> Item:
    """An uploaded caption file (and its staged recording) queued for a worker to save as a session.

    The file is parsed here first, so that a bad file, one too big, or one already in the archive is refused at
    once (``ArchiveError``/``Conflict``, the staged recording discarded) instead of failing later in a worker.
    """
    try:
        options = check_options(options)
        if max_bytes is not None and len(data) > max_bytes:
            raise ArchiveError(f"{name}: the file is larger than {max_bytes // 1024**2} MB")
        parse_caption_bytes(data, name, options)
        key = file_source_key(data)
        existing = catalog.find_session_id(key)
        if existing is not None:
            raise Conflict(
                f"this caption file is already in the archive as session {existing}: "
                f"edit that session (/staff/sessions/{existing}) instead"
            )
    except BaseException:
        if media is not None and media.staged is not None:
            media.staged.discard()
        raise
    item = catalog.queue.upsert(f"{UPLOAD_PREFIX}{key}", f"{UPLOAD_PREFIX}{name}", title=options.title)
    catalog.queue.mark_pending([item.id])
    payload = {"name": name, "options": options_payload(options), "max_bytes": max_bytes}
    if media is not None and media.staged is not None:
        payload["media"] = {
            "path": media.staged.path,  # its path in the file store's staging area
            "name": media.staged.name,
            "size": media.size,
            "sha256": media.sha256,
            "mime": media.mime,
        }
    catalog.queue.enqueue_job("upload", payload, data=data, item_id=item.id)
    return item


# -- running -------------------------------------------------------------------------------------------------
def run(catalog: Catalog, data_dir: Path, job: Job, context: WorkerContext) -> dict:
    """Do ``job``; returns its result (``{"session_id": ...}`` where one session came of it). Raises on a failure
    the job should be retried for; an ingest's own failure is recorded on its item (with the item's retry)."""
    handler = _HANDLERS.get(job.kind)
    if handler is None:
        raise ArchiveError(f"job {job.id}: unknown kind {job.kind!r}")
    return handler(catalog, Path(data_dir), job, context)


def _item(catalog: Catalog, job: Job) -> Item:
    item = catalog.queue.get(job.item_id) if job.item_id is not None else None
    if item is None:
        raise ArchiveError(f"job {job.id}: its ingest item is gone")
    return item


def _summary(result: IngestResult) -> dict:
    summary: dict = {"sessions": result.session_ids, "failures": [f.message for f in result.failures]}
    if len(result.session_ids) == 1:
        summary["session_id"] = result.session_ids[0]
    return summary


def _ingest_url(catalog: Catalog, data_dir: Path, job: Job, context: WorkerContext) -> dict:
    return _summary(run_request(catalog, data_dir, _item(catalog, job), options_from(job.payload, context)))


def _retry(catalog: Catalog, data_dir: Path, job: Job, context: WorkerContext) -> dict:
    item = _item(catalog, job)
    return _summary(retry(catalog, data_dir, [item.id], options_from(job.payload, context)))


def _sync(catalog: Catalog, data_dir: Path, job: Job, context: WorkerContext) -> dict:
    return _summary(sync(catalog, data_dir, job.payload["url"], options_from(job.payload, context)))


def _transcribe(catalog: Catalog, data_dir: Path, job: Job, context: WorkerContext) -> dict:
    options = transcription.TranscribeOptions(model_folder=context.asr_model_dir, files=context.files)
    return _summary(transcription.run_jobs(catalog, data_dir, [_item(catalog, job)], options))


def _upload(catalog: Catalog, data_dir: Path, job: Job, context: WorkerContext) -> dict:
    item = _item(catalog, job)
    data = catalog.queue.job_data(job.id)
    if data is None:
        raise ArchiveError(f"job {job.id}: the uploaded file is no longer kept")
    saved = catalog.find_session_id(file_source_key(data))
    if saved is not None and job.attempts > 1:  # an earlier attempt saved it, then its worker died
        catalog.queue.mark_done(item.id, session_id=saved, title=None)
        return {"session_id": saved, "sessions": [saved]}
    catalog.queue.mark_running(item.id)
    try:
        stored = ingest_caption_bytes(
            catalog,
            data_dir,
            data,
            job.payload["name"],
            options_from(job.payload, context),
            max_bytes=job.payload.get("max_bytes"),
            media=_staged_media(storage.files_for(data_dir, context.files), job.payload.get("media")),
        )
    except (
        ArchiveError,
        CatalogError,
        TranscriptError,
    ) as exc:  # the upload's own fault: trying again won't help
        catalog.queue.mark_failed(item.id, str(exc))
        return {"error": str(exc)}
    except Exception:  # the worker's trouble (a full disk, a lost connection): the job is tried again later
        catalog.queue.mark_pending([item.id])  # (and its item failed with it once no attempt is left)
        raise
    catalog.queue.mark_done(item.id, session_id=stored.session_id, title=stored.title)
    return {"session_id": stored.session_id, "sessions": [stored.session_id]}


def _staged_media(files: FileStore, media: dict | None) -> FetchedMedia | None:
    if not media:
        return None
    if not files.exists(media["path"]):
        raise ArchiveError(f"the uploaded recording {media['name']} is no longer in the file store's staging")
    staged = storage.StagedFile(files, media["path"], media["name"])
    return FetchedMedia(staged, media["size"], media["sha256"], media.get("mime"))


_HANDLERS: dict[str, Callable[[Catalog, Path, Job, WorkerContext], dict]] = {
    "ingest-url": _ingest_url,
    "retry": _retry,
    "sync": _sync,
    "transcribe": _transcribe,
    "upload": _upload,
}
