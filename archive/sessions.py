"""From a video's info dict to a session ready to save: metadata, the chosen caption track per language, and
the media when asked.

A caption file already kept for the same language and source is parsed again from disk instead of being
downloaded again; tracks of other languages already stored are kept.
"""

from __future__ import annotations

import mimetypes
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from archive import storage
from archive.errors import FetchError
from archive.metadata import chapters_from_info, choose_caption, is_generic, meta_from_info, source_key
from archive.options import IngestOptions, RetryPolicy
from archive.retries import retrying
from archive.saving import FetchedMedia, FetchedSession, FetchedTrack
from archive.ytdlp import Fetcher
from catalog import CaptionState, Catalog, FileStore, FileStoreError, Session, TrackInfo
from transcripts import TranscriptError, parse_bytes


def build_session(
    catalog: Catalog,
    data_dir: Path,
    info: dict,
    fetcher: Fetcher,
    options: IngestOptions,
    on_percent: Callable[[float], None] | None = None,
) -> tuple[FetchedSession, list[CaptionState], FetchError | None]:
    """The session to save, each language's caption state, and the caption fetch error that should fail the
    item (a rate limit wins over other errors, so that the item waits before it is tried again)."""
    key = source_key(info)
    existing = _existing(catalog, key)
    files = storage.files_for(data_dir, options.files)
    kept = {t.language: t for t in existing.tracks} if existing else {}
    tracks, states, errors = [], [], []
    for language in options.url_languages:
        track, state, error = _caption(info, language, kept.get(language), fetcher, options.retry, files)
        tracks += [track] if track else []
        states.append(state)
        errors += [error] if error else []
    tracks += [
        t
        for t in (_reuse(files, old) for lang, old in kept.items() if lang not in options.url_languages)
        if t
    ]
    media = _media(data_dir, files, info, existing, fetcher, options, on_percent) if options.media else None
    fetched = FetchedSession(
        key, meta_from_info(info, options), tuple(tracks), chapters_from_info(info), media
    )
    error = next((e for e in errors if e.rate_limited), errors[0] if errors else None)
    return fetched, states, error


def _existing(catalog: Catalog, key: str) -> Session | None:
    session_id = catalog.find_session_id(key)
    return catalog.get_session(session_id, include_drafts=True) if session_id else None


def _caption(
    info: dict, language: str, old: TrackInfo | None, fetcher: Fetcher, policy: RetryPolicy, files: FileStore
) -> tuple[FetchedTrack | None, CaptionState, FetchError | None]:
    choice = choose_caption(info, language)
    if choice is None:
        return _reuse(files, old), CaptionState(language, "missing"), None
    if old is not None and old.source == choice.source:
        reused = _reuse(files, old)
        if reused is not None:
            return reused, CaptionState(language, "done", choice.source), None
    name = f"{info.get('title') or source_key(info)} ({language}, {choice.source} captions)"
    try:
        data = retrying(policy, fetcher.fetch_bytes, choice.url, choice.headers)
        transcript = parse_bytes(data, name, language=language)
    except FetchError as exc:
        return _reuse(files, old), CaptionState(language, "failed", choice.source, str(exc)), exc
    except TranscriptError as exc:
        error = FetchError(str(exc))
        return _reuse(files, old), CaptionState(language, "failed", choice.source, str(exc)), error
    if not transcript.segments:
        return (
            _reuse(files, old),
            CaptionState(language, "missing", choice.source, "the track is empty"),
            None,
        )
    track = FetchedTrack(transcript, language, choice.source, choice.ext, raw=data)
    return track, CaptionState(language, "done", choice.source), None


def _reuse(files: FileStore, old: TrackInfo | None) -> FetchedTrack | None:
    """A stored track parsed again from its kept raw file (``None`` if there is none to read)."""
    if old is None or not old.raw_path:
        return None
    try:
        transcript = parse_bytes(files.read_bytes(old.raw_path), old.raw_path, language=old.language)
    except (FileStoreError, TranscriptError):
        return None
    ext = old.format or PurePosixPath(old.raw_path).suffix.lstrip(".")
    return FetchedTrack(transcript, old.language, old.source, ext, kept_path=old.raw_path)


def _media(
    data_dir: Path,
    files: FileStore,
    info: dict,
    existing: Session | None,
    fetcher: Fetcher,
    options: IngestOptions,
    on_percent: Callable[[float], None] | None,
) -> FetchedMedia:
    """The archived media: kept if already there, else downloaded into the staging folder."""
    if existing and existing.media_path and files.exists(existing.media_path):
        return FetchedMedia(
            None,
            existing.media_size or 0,
            existing.media_sha256 or "",
            existing.media_type,
            existing.media_path,
        )
    url = (
        info.get("url")
        if is_generic(info) and info.get("url")
        else info.get("webpage_url") or info.get("url")
    )
    folder = storage.staging_dir(data_dir)
    try:
        path = retrying(options.retry, fetcher.download_media, url, folder, on_percent)
        size, sha256 = storage.file_digest(path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    staged = storage.stage_local_file(files, path, size, sha256)
    return FetchedMedia(staged, size, sha256, mimetypes.guess_type(path.name)[0])
