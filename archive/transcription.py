"""Transcribing sessions that have media but no captions, through the ingest queue.

``queue_sessions`` checks each session (it exists, its media is archived, it has no caption track) and queues a
job; ``run_jobs`` runs queued and interrupted jobs one by one: progress (percent of the audio) is kept on the
job for the staff dashboard, a cancel asked from anywhere stops it between lines, and a stopped process leaves
the job to be run again. The staff button queues a ``transcribe`` job on the shared queue (``archive.jobs``); a
worker runs it through ``run_jobs``. Each finished job stores an automatic track and offers speaker-name suggestions.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from archive import asr
from archive.errors import ArchiveError
from archive.options import Failure, IngestedSession, IngestResult, Progress, ProgressEvent
from archive.storage import files_for, staging_dir
from catalog import AsrLine, Catalog, CatalogError, FileStore, FileStoreError, Item, Offer, Session
from transcripts.speaker_hints import Credit, Line, suggest_speakers


@dataclass(frozen=True)
class TranscribeOptions:
    model_folder: Path | None = None  # an operator's CTranslate2 Whisper folder; default: the pinned wheel
    threads: int | None = None
    files: Any = None  # the catalog.FileStore holding the media; None: the data folder


def queue_sessions(
    catalog: Catalog,
    data_dir: Path,
    session_ids: Sequence[int],
    *,
    requested_by: str | None = None,
    files: FileStore | None = None,
) -> list[Item]:
    """A pending job per session; raises (queuing nothing) if any session cannot be transcribed."""
    sessions = [transcribable(catalog, data_dir, session_id, files) for session_id in session_ids]
    return [catalog.queue.queue_transcription(s.id, s.title, requested_by=requested_by) for s in sessions]


def transcribable(
    catalog: Catalog, data_dir: Path, session_id: int, files: FileStore | None = None
) -> Session:
    session = catalog.get_session(session_id, include_drafts=True)
    if session is None:
        raise ArchiveError(f"no session with id {session_id}")
    if not session.media_path:
        raise ArchiveError(
            f"session {session_id} has no archived media to transcribe (ingest it with --media)"
        )
    try:
        present = files_for(data_dir, files).exists(session.media_path)
    except FileStoreError as exc:
        raise ArchiveError(f"session {session_id}: its media file cannot be reached: {exc}") from exc
    if not present:
        raise ArchiveError(f"session {session_id}: its media file {session.media_path} is missing")
    if any(t.source != "asr" and t.is_primary for t in session.tracks) and session.segment_count:
        raise ArchiveError(f"session {session_id} already has captions")
    return session


def needs_transcript(
    catalog: Catalog, data_dir: Path, session_id: int, files: FileStore | None = None
) -> bool:
    try:
        session = transcribable(catalog, data_dir, session_id, files)
    except ArchiveError:
        return False
    return not session.segment_count


@contextmanager
def media_file(data_dir: Path, session: Session, files: FileStore | None = None) -> Iterator[Path]:
    """The session's media as a file on this machine: in the data folder, or a copy fetched from the object
    store into the staging folder (removed afterwards)."""
    files = files_for(data_dir, files)
    local = files.local_path(session.media_path or "")
    if local is not None:
        yield local
        return
    folder = staging_dir(data_dir)
    try:
        try:
            target = folder / PurePosixPath(session.media_path or "media").name
            files.fetch(session.media_path or "", target)
        except FileStoreError as exc:
            raise ArchiveError(f"session {session.id}: {exc}") from exc
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_jobs(
    catalog: Catalog,
    data_dir: Path,
    items: Sequence[Item] | None = None,
    options: TranscribeOptions | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Run ``items`` (default: every queued or interrupted job no worker holds now); one failure never stops the
    others."""
    options = options or TranscribeOptions()
    if items is None:
        held = _held_by_a_worker(catalog)
        targets = [item for item in catalog.queue.unfinished_transcriptions() if item.id not in held]
    else:
        targets = list(items)
    result = IngestResult()
    for number, item in enumerate(targets):
        _report(progress, ProgressEvent(number, len(targets), item.title))
        result.extend(run_job(catalog, data_dir, item, options, progress))
    return result


def _held_by_a_worker(catalog: Catalog) -> set[int]:
    """Items whose job a worker holds with a lease still running (``transcribe --pending`` leaves them be)."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    running = catalog.queue.jobs(states=("running",), limit=10000)
    return {j.item_id for j in running if j.item_id is not None and (j.lease_expires_at or "") > now}


def run_job(
    catalog: Catalog, data_dir: Path, item: Item, options: TranscribeOptions, progress: Progress | None = None
) -> IngestResult:
    result = IngestResult()
    current = catalog.queue.get(item.id)
    if current is None or current.state not in ("pending", "running") or item.session_id is None:
        return result
    catalog.queue.mark_running(item.id)
    try:
        session = transcribable(catalog, data_dir, item.session_id, options.files)
        with media_file(data_dir, session, options.files) as path:
            recognition = asr.recognise(
                path,
                model_folder=options.model_folder,
                language=session.language or "en",
                threads=options.threads,
                progress=_progress_keeper(catalog, item, progress),
                keep_going=lambda: not catalog.queue.cancel_requested(item.id),
            )
        saved = _store(catalog, session, recognition, (item.options or {}).get("requested_by"))
    except asr.Cancelled:
        catalog.queue.mark_cancelled(item.id)
        result.failures.append(Failure(item.url, f"session {item.session_id}: cancelled", item.id))
        return result
    except (ArchiveError, CatalogError) as exc:
        catalog.queue.mark_failed(item.id, str(exc))
        result.failures.append(Failure(item.url, str(exc), item.id))
        return result
    catalog.queue.mark_done(item.id, session_id=session.id, title=None)
    result.sessions.append(
        IngestedSession(
            session.id, session.source_key, session.title, False, ((session.language or "en", "asr"),), saved
        )
    )
    return result


def retry_job(
    catalog: Catalog, data_dir: Path, item: Item, options: TranscribeOptions | None = None
) -> IngestResult:
    """A failed or cancelled job queued again and run (``uscm-archive retry``, the staff "Retry")."""
    if item.session_id is None:
        return IngestResult(failures=[Failure(item.url, "the job's session was deleted", item.id)])
    try:
        session = transcribable(catalog, data_dir, item.session_id, (options or TranscribeOptions()).files)
    except ArchiveError as exc:
        catalog.queue.mark_failed(item.id, str(exc))
        return IngestResult(failures=[Failure(item.url, str(exc), item.id)])
    queued = catalog.queue.queue_transcription(session.id, session.title)
    return run_job(catalog, data_dir, queued, options or TranscribeOptions())


def cancel(catalog: Catalog, session_id: int) -> bool:
    item = catalog.queue.find_transcription(session_id)
    return item is not None and catalog.queue.request_cancel(item.id)


def _store(
    catalog: Catalog, session: Session, recognition: asr.Recognition, by: str | None
) -> tuple[str, ...]:
    lines = [AsrLine(r.segment, r.confidence) for r in recognition.segments]
    saved = catalog.save_asr_track(
        session.id,
        lines,
        model=recognition.model.name,
        model_sha256=recognition.model.sha256,
        language=session.language or "en",
        by=by,  # who asked for the transcription: the audit log's who
    )
    stored = catalog.segments(session.id)
    hints = suggest_speakers(
        [Line(s.start, s.end, s.text) for s in stored], [Credit(c.name, c.role) for c in session.speakers]
    )
    catalog.staff.suggestions.offer(session.id, [Offer(h.start, h.end, h.name, h.reason) for h in hints])
    return (f"kept {saved.kept} corrected lines",) if saved.kept else ()


def _progress_keeper(catalog: Catalog, item: Item, progress: Progress | None) -> Callable[[float], None]:
    last = [-1.0]

    def keep(percent: float) -> None:
        if percent - last[0] >= 1.0 or percent >= 100.0:
            last[0] = percent
            catalog.queue.set_progress(item.id, percent)
            _report(progress, ProgressEvent(0, 0, item.title, percent=percent))

    return keep


def _report(progress: Progress | None, event: ProgressEvent) -> None:
    if progress is not None:
        progress(event)
